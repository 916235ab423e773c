import KithCore
import People
import SQLiteStore

/// What the matching module holds about a person, for subject access and erasure.
public struct MatchingPersonalData: PersonalDataHolder {
    public init() {}

    /// Contact notes are the coordinators' notes about the person matched (referred), so a
    /// volunteer's export leaves out notes about the people they visited.
    public func export(_ db: Database, personId: String, now: Timestamp) throws -> [(String, JSON)] {
        let referrals = try db.query("SELECT \(MatchStore.referralColumns) FROM referrals WHERE person_id = ? ORDER BY created_at", [personId],
                                     MatchStore.referral).map { $0.json(person: nil, today: now) }
        let matches = try db.query("SELECT \(MatchStore.matchColumns) FROM matches WHERE person_id = ?1 OR volunteer_id = ?1 ORDER BY created_at",
                                   [personId], MatchStore.match).map { $0.json(person: nil, volunteer: nil) }
        let contacts = try db.query("""
            SELECT c.id, c.match_id, c.happened_at, c.minutes, c.kind, CASE WHEN m.person_id = ?1 THEN c.note END FROM contacts c JOIN matches m ON m.id = c.match_id
            WHERE m.person_id = ?1 OR m.volunteer_id = ?1 ORDER BY c.happened_at
            """, [personId]) { row -> JSON in ["id": .string(row.string(0)), "match_id": .string(row.string(1)), "happened_at": .string(row.string(2)),
                                "minutes": .int(row.int(3)), "kind": .string(row.string(4)), "note": JSON(row.optionalString(5))] }
        let concerns = try db.query("""
            SELECT c.id, c.match_id, c.raised_at, c.category, c.status, c.outcome FROM concerns c JOIN matches m ON m.id = c.match_id
            WHERE m.person_id = ?1 OR m.volunteer_id = ?1 ORDER BY c.raised_at
            """, [personId]) { row -> JSON in ["id": .string(row.string(0)), "match_id": .string(row.string(1)), "raised_at": .string(row.string(2)),
                                "category": .string(row.string(3)), "status": .string(row.string(4)), "outcome": JSON(row.optionalString(5))] }
        let outcomes = try db.query("SELECT id, scheme, measure, stage, score, measured_on FROM outcomes WHERE person_id = ? ORDER BY measured_on",
                                    [personId]) { row -> JSON in ["id": .string(row.string(0)), "scheme": .string(row.string(1)), "measure": .string(row.string(2)),
                                                   "stage": .string(row.string(3)), "score": .int(row.int(4)), "measured_on": .string(row.string(5))] }
        let offers = try MatchStore.offers(db, personId: personId).map(\.json)
        let packs = try db.query("SELECT id, area_id, items, sent_on FROM welcome_packs WHERE person_id = ?", [personId]) { row -> JSON in
            ["id": .string(row.string(0)), "area_id": .string(row.string(1)), "items": (try? JSON.parse(row.string(2))) ?? .array([]),
             "sent_on": JSON(row.optionalString(3))]
        }
        let onward = try db.query("SELECT id, agency, reason, referred_on FROM onward_referrals WHERE person_id = ?", [personId]) { row -> JSON in
            ["id": .string(row.string(0)), "agency": .string(row.string(1)), "reason": .string(row.string(2)), "referred_on": .string(row.string(3))]
        }
        return [("referrals", .array(referrals)), ("matches", .array(matches)), ("contacts", .array(contacts)),
                ("safeguarding_concerns", .array(concerns)), ("outcomes", .array(outcomes)), ("volunteer_offers", .array(offers)),
                ("welcome_packs", .array(packs)), ("onward_referrals", .array(onward))]
    }

    /// Safeguarding records must be kept while a concern is open.
    public func erasureBlocked(_ db: Database, personId: String) throws -> String? {
        let open = try db.scalarInt("""
            SELECT count(*) FROM concerns c JOIN matches m ON m.id = c.match_id
            WHERE (m.person_id = ?1 OR m.volunteer_id = ?1) AND c.status <> 'closed'
            """, [personId]) ?? 0
        return open > 0 ? "\(open) safeguarding concern(s) about this person's matches are still open" : nil
    }

    /// Free text about the person goes; dates, durations, kinds, scores and statuses stay, so
    /// waiting times, hours and outcome changes still add up.
    public func erase(_ tx: Transaction, personId: String) throws -> [String] {
        try tx.db.run("UPDATE referrals SET needs = '', details = '{}', preferences = json_set(preferences, '$.accessibility', json('[]')) WHERE person_id = ?", [personId])
        try tx.db.run("""
            UPDATE contacts SET note = NULL WHERE match_id IN (SELECT id FROM matches WHERE person_id = ?1 OR volunteer_id = ?1)
            """, [personId])
        try tx.db.run("""
            UPDATE concerns SET description = '[erased]', outcome = CASE WHEN outcome IS NULL THEN NULL ELSE '[erased]' END
            WHERE match_id IN (SELECT id FROM matches WHERE person_id = ?1 OR volunteer_id = ?1)
            """, [personId])
        try tx.db.run("UPDATE onward_referrals SET reason = '[erased]' WHERE person_id = ?", [personId])
        try tx.db.run("UPDATE volunteer_offers SET interests = '[]', active = 0 WHERE person_id = ?", [personId])
        return ["referral notes", "contact notes", "concern descriptions", "onward referral reasons", "volunteer interests"]
    }
}
