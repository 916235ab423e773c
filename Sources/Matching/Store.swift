import KithCore
import SQLiteStore

/// The matching module's SQL. Only this module writes its tables.
enum MatchStore {
    // MARK: - Schemes and providers

    static func scheme(_ db: Database, id: String) throws -> Scheme? {
        try db.queryOne("""
            SELECT id, name, required_checks, default_capacity, missed_contact_days, match_target_days, review_interval_days,
                   updated_at, version FROM schemes WHERE id = ?
            """, [id]) { row in
            let checks = (try? JSON.parse(row.string(2)))?.arrayValue?.compactMap { item -> (kind: String, detail: String)? in
                guard let kind = item["kind"]?.stringValue, let detail = item["detail"]?.stringValue else { return nil }
                return (kind: kind, detail: detail)
            } ?? []
            return Scheme(id: row.string(0), name: row.string(1), requiredChecks: checks, defaultCapacity: row.int(3),
                          missedContactDays: row.int(4), matchTargetDays: row.int(5), reviewIntervalDays: row.int(6),
                          updatedAt: row.string(7), version: row.int(8))
        }
    }

    /// A scheme named in a path, or 404 (body fields are checked against `Scheme.ids` first).
    static func requireScheme(_ db: Database, _ id: String) throws -> Scheme {
        guard let scheme = try scheme(db, id: id) else { throw Problem.notFound("No scheme \(id); the schemes are \(Scheme.ids.joined(separator: " and ")).") }
        return scheme
    }

    static func provider(_ db: Database, id: String) throws -> JSON? {
        try db.queryOne("SELECT id, name, scheme, group_id, area_id, created_at, updated_at, version FROM providers WHERE id = ?", [id], providerJSON)
    }

    static func providerJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "name": .string(row.string(1)), "scheme": .string(row.string(2)), "group_id": JSON(row.optionalString(3)),
         "area_id": JSON(row.optionalString(4)), "created_at": .string(row.string(5)), "updated_at": .string(row.string(6)), "version": .int(row.int(7))]
    }

    // MARK: - Referrals

    static let referralColumns = """
        id, scheme, person_id, provider_id, source, source_group, needs, preferences, details, status, referred_at, waiting_since,
        matched_at, closed_at, close_reason, created_at, updated_at, version
        """

    static func referral(_ row: Row) -> Referral {
        Referral(id: row.string(0), scheme: row.string(1), personId: row.string(2), providerId: row.optionalString(3), source: row.string(4),
                 sourceGroup: row.optionalString(5), needs: row.string(6), preferences: Preferences(json: (try? JSON.parse(row.string(7))) ?? .null),
                 details: (try? JSON.parse(row.string(8))) ?? .object([]), status: row.string(9), referredAt: row.string(10),
                 waitingSince: row.string(11), matchedAt: row.optionalString(12), closedAt: row.optionalString(13),
                 closeReason: row.optionalString(14), createdAt: row.string(15), updatedAt: row.string(16), version: row.int(17))
    }

    static func findReferral(_ db: Database, id: String) throws -> Referral? {
        try db.queryOne("SELECT \(referralColumns) FROM referrals WHERE id = ?", [id], referral)
    }

    static func saveReferral(_ tx: Transaction, _ r: Referral, isNew: Bool) throws {
        let values: [any SQLBindable] = [r.scheme, r.personId, r.providerId, r.source, r.sourceGroup, r.needs, r.preferences.json.encodedString(),
                                         r.details.encodedString(), r.status, r.referredAt, r.waitingSince, r.matchedAt, r.closedAt,
                                         r.closeReason, r.updatedAt, r.version, r.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO referrals(scheme, person_id, provider_id, source, source_group, needs, preferences, details, status, referred_at,
                    waiting_since, matched_at, closed_at, close_reason, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [r.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE referrals SET scheme = ?, person_id = ?, provider_id = ?, source = ?, source_group = ?, needs = ?, preferences = ?,
                    details = ?, status = ?, referred_at = ?, waiting_since = ?, matched_at = ?, closed_at = ?, close_reason = ?,
                    updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [r.version - 1]) == 1 else { throw Problem.preconditionFailed("Referral \(r.id) changed meanwhile.") }
        }
    }

    // MARK: - Matches

    static let matchColumns = """
        id, scheme, referral_id, person_id, volunteer_id, provider_id, status, score, reasons, proposed_at, introduced_at, active_at,
        paused_at, ended_at, end_reason, next_review, created_at, updated_at, version
        """

    static func match(_ row: Row) -> Match {
        Match(id: row.string(0), scheme: row.string(1), referralId: row.string(2), personId: row.string(3), volunteerId: row.string(4),
              providerId: row.optionalString(5), status: row.string(6), score: row.int(7),
              reasons: (try? JSON.parse(row.string(8)))?.arrayValue?.compactMap(\.stringValue) ?? [], proposedAt: row.string(9),
              introducedAt: row.optionalString(10), activeAt: row.optionalString(11), pausedAt: row.optionalString(12),
              endedAt: row.optionalString(13), endReason: row.optionalString(14), nextReview: row.optionalString(15),
              createdAt: row.string(16), updatedAt: row.string(17), version: row.int(18))
    }

    static func findMatch(_ db: Database, id: String) throws -> Match? {
        try db.queryOne("SELECT \(matchColumns) FROM matches WHERE id = ?", [id], match)
    }

    static func saveMatch(_ tx: Transaction, _ m: Match, isNew: Bool) throws {
        let values: [any SQLBindable] = [m.scheme, m.referralId, m.personId, m.volunteerId, m.providerId, m.status, m.score,
                                         JSON(m.reasons).encodedString(), m.proposedAt, m.introducedAt, m.activeAt, m.pausedAt, m.endedAt,
                                         m.endReason, m.nextReview, m.updatedAt, m.version, m.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO matches(scheme, referral_id, person_id, volunteer_id, provider_id, status, score, reasons, proposed_at, introduced_at,
                    active_at, paused_at, ended_at, end_reason, next_review, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [m.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE matches SET scheme = ?, referral_id = ?, person_id = ?, volunteer_id = ?, provider_id = ?, status = ?, score = ?,
                    reasons = ?, proposed_at = ?, introduced_at = ?, active_at = ?, paused_at = ?, ended_at = ?, end_reason = ?,
                    next_review = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [m.version - 1]) == 1 else { throw Problem.preconditionFailed("Match \(m.id) changed meanwhile.") }
        }
    }

    /// Matches holding a volunteer's place (proposed to paused) in a scheme.
    static func openMatchCount(_ db: Database, volunteerId: String, scheme: String) throws -> Int {
        try db.scalarInt("""
            SELECT count(*) FROM matches WHERE volunteer_id = ? AND scheme = ? AND status IN ('proposed', 'introduced', 'active', 'paused')
            """, [volunteerId, scheme]) ?? 0
    }

    // MARK: - Volunteers' offers

    struct Offer: Sendable {
        var personId: String
        var scheme: String
        var providerId: String?
        var capacity: Int
        var interests: [String]
        var availability: [String]
        var modes: [String]
        var active: Bool
        var createdAt: String
        var updatedAt: String
        var version: Int

        var json: JSON {
            ["person_id": .string(personId), "scheme": .string(scheme), "provider_id": JSON(providerId), "capacity": .int(capacity),
             "interests": JSON(interests), "availability": JSON(availability), "modes": JSON(modes), "active": .bool(active),
             "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
        }
    }

    static let offerColumns = "person_id, scheme, provider_id, capacity, interests, availability, modes, active, created_at, updated_at, version"

    static func offer(_ row: Row) -> Offer {
        func list(_ i: Int) -> [String] { (try? JSON.parse(row.string(i)))?.arrayValue?.compactMap(\.stringValue) ?? [] }
        return Offer(personId: row.string(0), scheme: row.string(1), providerId: row.optionalString(2), capacity: row.int(3),
                     interests: list(4), availability: list(5), modes: list(6), active: row.bool(7), createdAt: row.string(8),
                     updatedAt: row.string(9), version: row.int(10))
    }

    static func offers(_ db: Database, personId: String) throws -> [Offer] {
        try db.query("SELECT \(offerColumns) FROM volunteer_offers WHERE person_id = ? ORDER BY scheme", [personId], offer)
    }

    static func offers(_ db: Database, scheme: String, providerId: String?) throws -> [Offer] {
        try db.query("""
            SELECT \(offerColumns) FROM volunteer_offers WHERE scheme = ?1 AND active = 1 AND (?2 IS NULL OR provider_id = ?2)
            ORDER BY person_id
            """, [scheme, providerId], offer)
    }

    static func saveOffer(_ tx: Transaction, _ o: Offer) throws {
        try tx.db.run("""
            INSERT INTO volunteer_offers(person_id, scheme, provider_id, capacity, interests, availability, modes, active, created_at, updated_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(person_id, scheme) DO UPDATE SET provider_id = excluded.provider_id, capacity = excluded.capacity,
                interests = excluded.interests, availability = excluded.availability, modes = excluded.modes, active = excluded.active,
                updated_at = excluded.updated_at, version = excluded.version
            """, [o.personId, o.scheme, o.providerId, o.capacity, JSON(o.interests).encodedString(), JSON(o.availability).encodedString(),
                  JSON(o.modes).encodedString(), o.active, o.createdAt, o.updatedAt, o.version])
    }
}
