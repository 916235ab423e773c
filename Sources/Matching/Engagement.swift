import KithCore
import People
import SQLiteStore

/// Who took part in the buddy and befriending schemes: both sides of every match, by the month it
/// was made; group sessions' attendance (counted by age band, not by name) as reported reach.
public struct MatchingEngagement: EngagementSource {
    public let name = "matching"
    public init() {}

    public func engagements(_ db: Database, from: String, to: String) throws -> [Engagement] {
        var rows: [(who: String, month: String, activity: String)] = []
        try db.forEach("""
            SELECT person_id, volunteer_id, scheme, substr(proposed_at, 1, 7) AS month FROM matches
            WHERE substr(proposed_at, 1, 7) BETWEEN ?1 AND ?2
            """, [from, to]) { row in
            let activity = row.string(2) == "fan" ? "fan_buddies" : "befriending"
            rows.append((row.string(0), row.string(3), activity))
            rows.append((row.string(1), row.string(3), activity + "_volunteer"))
        }
        let areas = try PeopleDirectory.areas(db, ids: Array(Set(rows.map(\.who))))
        return rows.map { Engagement(who: $0.who, isPerson: true, areaId: areas[$0.who] ?? nil, month: $0.month, activity: $0.activity) }
    }

    public func reportedReach(_ db: Database, from: String, to: String) throws -> [(areaId: String?, people: Int)] {
        var reach: [(areaId: String?, people: Int)] = []
        try db.forEach("""
            SELECT p.area_id, s.attendance FROM group_sessions s JOIN providers p ON p.id = s.provider_id
            WHERE substr(s.held_at, 1, 7) BETWEEN ?1 AND ?2
            """, [from, to]) { row in
            let attendance = (try? JSON.parse(row.string(1))) ?? .object([])
            let total = ["volunteers", "older_people"].reduce(0) { sum, side in
                sum + (attendance[side]?.objectValue?.reduce(0) { $0 + ($1.1.intValue ?? 0) } ?? 0)
            }
            reach.append((row.optionalString(0), total))
        }
        return reach
    }
}

/// Figures other modules (Impact) read about the schemes.
public enum MatchingFigures {
    /// Matches active at the end of `to` (YYYY-MM-DD) in `scheme`, for people living in `areaPath`.
    public static func activeMatches(_ db: Database, scheme: String, to: String, areaPath: String?) throws -> Int {
        try db.scalarInt("""
            SELECT count(*) FROM matches m
            WHERE m.scheme = ?1 AND m.active_at IS NOT NULL AND substr(m.active_at, 1, 10) <= ?2
              AND (m.ended_at IS NULL OR substr(m.ended_at, 1, 10) > ?2)
              AND \(PeopleDirectory.livingWithin("m.person_id", "?3"))
            """, [scheme, to, areaPath]) ?? 0
    }

    /// A person's part in the schemes, dated, for the journey view.
    public static func journey(_ db: Database, personId: String) throws -> [(at: String, event: String, detail: JSON)] {
        var events: [(at: String, event: String, detail: JSON)] = []
        try db.forEach("SELECT id, scheme, referred_at, source FROM referrals WHERE person_id = ?", [personId]) {
            events.append(($0.string(2), "referred", ["referral_id": .string($0.string(0)), "scheme": .string($0.string(1)), "source": .string($0.string(3))]))
        }
        try db.forEach("""
            SELECT id, scheme, coalesce(active_at, proposed_at), person_id = ?1, status,
                   (SELECT count(*) FROM contacts c WHERE c.match_id = m.id), (SELECT coalesce(sum(minutes), 0) FROM contacts c WHERE c.match_id = m.id)
            FROM matches m WHERE person_id = ?1 OR volunteer_id = ?1
            """, [personId]) {
            events.append(($0.string(2), $0.bool(3) ? "matched" : "matched_as_volunteer",
                           ["match_id": .string($0.string(0)), "scheme": .string($0.string(1)), "status": .string($0.string(4)),
                            "contacts": .int($0.int(5)), "hours": .double(Double($0.int(6)) / 60)]))
        }
        return events
    }
}
