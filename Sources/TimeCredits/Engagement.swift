import KithCore
import People
import SQLiteStore

/// Who took part in Time Credits: volunteers whose hours were approved, and people who went to a
/// venue with their credits, by month.
public struct TimeCreditsEngagement: EngagementSource {
    public let name = "timecredits"
    public init() {}

    public func engagements(_ db: Database, from: String, to: String) throws -> [Engagement] {
        var rows: [(who: String, month: String, activity: String)] = []
        try db.forEach("""
            SELECT person_id, substr(on_date, 1, 7), 'volunteering' FROM volunteering WHERE status = 'approved' AND substr(on_date, 1, 7) BETWEEN ?1 AND ?2
            UNION ALL
            SELECT person_id, substr(booked_at, 1, 7), 'credit_visits' FROM credit_bookings WHERE status = 'attended' AND substr(booked_at, 1, 7) BETWEEN ?1 AND ?2
            """, [from, to]) { rows.append(($0.string(0), $0.string(1), $0.string(2))) }
        let areas = try PeopleDirectory.areas(db, ids: Array(Set(rows.map(\.who))))
        return rows.map { Engagement(who: $0.who, isPerson: true, areaId: areas[$0.who] ?? nil, month: $0.month, activity: $0.activity) }
    }
}
