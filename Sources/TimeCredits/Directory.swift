import KithCore
import People
import SQLiteStore

/// What other modules read of Time Credits (Funding: volunteer time as match funding).
public enum CreditsDirectory {
    /// Approved volunteering hours given with the credit organisations that are this directory
    /// group, on days in `from...to` (YYYY-MM-DD).
    public static func approvedHours(_ db: Database, groupId: String, from: String, to: String) throws -> Double {
        let halfHours = try db.scalarInt("""
            SELECT coalesce(sum(v.half_hours), 0) FROM volunteering v JOIN credit_organisations o ON o.id = v.organisation_id
            WHERE o.group_id = ? AND v.status = 'approved' AND v.on_date BETWEEN ? AND ?
            """, [groupId, from, to]) ?? 0
        return Double(halfHours) / 2
    }
}

/// Figures other modules (Impact) read about Time Credits.
public enum CreditFigures {
    /// Approved hours and the credits issued for them, between `from` and `to` (YYYY-MM-DD), for
    /// volunteers living in `areaPath`, and how many volunteers gave them.
    public static func hoursAndCredits(_ db: Database, from: String, to: String, areaPath: String?) throws -> (hours: Double, credits: Int, people: Int) {
        try db.queryOne("""
            SELECT coalesce(sum(v.half_hours), 0), coalesce(sum(v.credits), 0), count(DISTINCT v.person_id) FROM volunteering v
            WHERE v.status = 'approved' AND v.on_date BETWEEN ?1 AND ?2
              AND \(PeopleDirectory.livingWithin("v.person_id", "?3"))
            """, [from, to, areaPath]) { (hours: Double($0.int(0)) / 2, credits: $0.int(1), people: $0.int(2)) } ?? (0, 0, 0)
    }

    /// A person's volunteering and visits, dated, for the journey view.
    public static func journey(_ db: Database, personId: String) throws -> [(at: String, event: String, detail: JSON)] {
        var events: [(at: String, event: String, detail: JSON)] = []
        try db.forEach("""
            SELECT v.on_date, o.name, v.half_hours, coalesce(v.credits, 0) FROM volunteering v JOIN credit_organisations o ON o.id = v.organisation_id
            WHERE v.person_id = ? AND v.status = 'approved'
            """, [personId]) {
            events.append(($0.string(0), "volunteered", ["organisation": .string($0.string(1)), "hours": .double(Double($0.int(2)) / 2),
                                                         "credits_earned": .int($0.int(3))]))
        }
        try db.forEach("""
            SELECT b.booked_at, o.title, b.credits, b.status, b.first_visit FROM credit_bookings b JOIN credit_offers o ON o.id = b.offer_id
            WHERE b.person_id = ? AND b.status <> 'cancelled'
            """, [personId]) {
            events.append(($0.string(0), "spent_credits", ["offer": .string($0.string(1)), "credits": .int($0.int(2)), "status": .string($0.string(3)),
                                                          "first_visit": JSON($0.optionalInt(4).map { $0 == 1 })]))
        }
        return events
    }
}
