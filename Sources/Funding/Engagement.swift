import Areas
import KithCore
import SQLiteStore

/// People reached by funded projects, as the grantees report them (counts, not names), by the
/// project's area and the month the report came in.
public struct FundingEngagement: EngagementSource {
    public let name = "funding"
    public init() {}

    public func engagements(_ db: Database, from: String, to: String) throws -> [Engagement] { [] }

    public func reportedReach(_ db: Database, from: String, to: String) throws -> [(areaId: String?, people: Int)] {
        // A project's reach is its latest report in the period (a final report restates progress).
        try db.query("""
            SELECT a.area_id, (SELECT coalesce(sum(j.value), 0) FROM json_each(r.people_reached) j)
            FROM grant_reports r JOIN grants g ON g.id = r.grant_id JOIN applications a ON a.id = g.application_id
            WHERE r.submitted_at IS NOT NULL AND substr(r.submitted_at, 1, 7) BETWEEN ?1 AND ?2
              AND r.submitted_at = (SELECT max(x.submitted_at) FROM grant_reports x WHERE x.grant_id = r.grant_id
                                    AND x.submitted_at IS NOT NULL AND substr(x.submitted_at, 1, 7) BETWEEN ?1 AND ?2)
            """, [from, to]) { (areaId: $0.optionalString(0), people: $0.int(1)) }
    }
}

/// Figures other modules (Impact) read about grants.
public enum FundingFigures {
    /// Grants awarded between `from` and `to` (YYYY-MM-DD) to groups based in `areaPath`: how many
    /// and how much, and how many went to groups new to the council.
    public static func awarded(_ db: Database, from: String, to: String, areaPath: String?) throws -> (grants: Int, pence: Int, toNewGroups: Int) {
        try db.queryOne("""
            SELECT count(*), coalesce(sum(g.amount_pence), 0), coalesce(sum(gr.known_to_council = 0), 0)
            FROM grants g JOIN groups gr ON gr.id = g.group_id
            WHERE g.awarded_on BETWEEN ?1 AND ?2
              AND \(Areas.within("gr.based_in", "?3"))
            """, [from, to, areaPath]) { (grants: $0.int(0), pence: $0.int(1), toNewGroups: $0.int(2)) } ?? (0, 0, 0)
    }
}
