import Areas
import KithCore
import SQLiteStore

/// The People module's SQL. Only this module writes `people`, `consents` and `volunteer_checks`.
enum PeopleStore {
    static let columns = """
        id, full_name, preferred_name, email, phone, address, postcode, area_id, languages, date_of_birth, age_band, gender,
        roles, provider_id, notes, erased_at, created_at, updated_at, version
        """

    static func person(_ row: Row) -> Person {
        func list(_ i: Int) -> [String] { (try? JSON.parse(row.string(i)))?.arrayValue?.compactMap(\.stringValue) ?? [] }
        return Person(id: row.string(0), fullName: row.optionalString(1), preferredName: row.optionalString(2), email: row.optionalString(3),
                      phone: row.optionalString(4), address: row.optionalString(5), postcode: row.optionalString(6),
                      areaId: row.optionalString(7), languages: list(8), dateOfBirth: row.optionalString(9), ageBand: row.optionalString(10),
                      gender: row.optionalString(11), roles: list(12), providerId: row.optionalString(13), notes: row.optionalString(14),
                      erasedAt: row.optionalString(15), createdAt: row.string(16), updatedAt: row.string(17), version: row.int(18))
    }

    static func find(_ db: Database, id: String) throws -> Person? {
        try db.queryOne("SELECT \(columns) FROM people WHERE id = ?", [id], person)
    }

    static func save(_ tx: Transaction, _ p: Person, isNew: Bool) throws {
        let values: [any SQLBindable] = [p.fullName, p.preferredName, p.email, p.phone, p.address, p.postcode, p.areaId,
                                         JSON(p.languages).encodedString(), p.dateOfBirth, p.ageBand, p.gender, JSON(p.roles).encodedString(),
                                         p.providerId, p.notes, p.erasedAt, p.updatedAt, p.version, p.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO people(full_name, preferred_name, email, phone, address, postcode, area_id, languages, date_of_birth, age_band,
                    gender, roles, provider_id, notes, erased_at, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [p.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE people SET full_name = ?, preferred_name = ?, email = ?, phone = ?, address = ?, postcode = ?, area_id = ?,
                    languages = ?, date_of_birth = ?, age_band = ?, gender = ?, roles = ?, provider_id = ?, notes = ?, erased_at = ?,
                    updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [p.version - 1]) == 1 else { throw Problem.preconditionFailed("Person \(p.id) changed meanwhile; fetch again.") }
        }
    }

    struct Filter {
        var role: String?
        var areaPath: String?
        var scopePath: String?
        var providerId: String?
        var name: String?
        var updatedSince: Timestamp?
    }

    static func list(_ db: Database, filter: Filter, after: [String]?, limit: Int) throws -> [Person] {
        try db.query("""
            SELECT \(columns) FROM people p
            WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(p.roles) r WHERE r.value = ?1))
              AND \(Areas.within("p.area_id", "?2"))
              AND \(Areas.within("p.area_id", "?3"))
              AND (?4 IS NULL OR p.provider_id = ?4)
              AND (?5 IS NULL OR instr(lower(coalesce(p.full_name, '') || ' ' || coalesce(p.preferred_name, '')), lower(?5)) > 0)
              AND (?6 IS NULL OR p.updated_at >= ?6) AND (?7 IS NULL OR (p.created_at, p.id) > (?7, ?8))
            ORDER BY p.created_at, p.id LIMIT ?9
            """, [filter.role, filter.areaPath, filter.scopePath, filter.providerId, filter.name, filter.updatedSince?.rfc3339,
                  after?.first, after?.last, limit], person)
    }

    // MARK: - Consents

    static func consents(_ db: Database, personId: String) throws -> [JSON] {
        try db.query("""
            SELECT id, purpose, given, method, recorded_at, recorded_by, note FROM consents WHERE person_id = ? ORDER BY recorded_at, id
            """, [personId]) {
            ["id": .string($0.string(0)), "purpose": .string($0.string(1)), "given": .bool($0.bool(2)), "method": .string($0.string(3)),
             "recorded_at": .string($0.string(4)), "recorded_by": JSON($0.optionalString(5)), "note": JSON($0.optionalString(6))]
        }
    }

    /// The consent in force for each purpose (the latest recorded).
    static func currentConsents(_ db: Database, personId: String) throws -> [String: Bool] {
        var current: [String: Bool] = [:]
        try db.forEach("SELECT purpose, given FROM consents WHERE person_id = ? ORDER BY recorded_at, id", [personId]) {
            current[$0.string(0)] = $0.bool(1)
        }
        return current
    }

    static func addConsent(_ tx: Transaction, personId: String, purpose: String, given: Bool, method: String, note: String?) throws {
        let id = Identifier.make("cns", at: tx.now)
        try tx.db.run("""
            INSERT INTO consents(id, person_id, purpose, given, method, recorded_at, recorded_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, personId, purpose, given, method, tx.now.rfc3339, tx.actor.keyId, note])
        try tx.audit("consent", "person", personId, changes: ["consents"])
    }

    // MARK: - Checks

    static let checkColumns = "id, person_id, kind, detail, status, issued_on, expires_on, certificate, created_at, updated_at, version"

    static func check(_ row: Row) -> Check {
        Check(id: row.string(0), personId: row.string(1), kind: row.string(2), detail: row.string(3), status: row.string(4),
              issuedOn: row.optionalString(5), expiresOn: row.optionalString(6), certificate: row.optionalString(7),
              createdAt: row.string(8), updatedAt: row.string(9), version: row.int(10))
    }

    static func checks(_ db: Database, personId: String) throws -> [Check] {
        try db.query("SELECT \(checkColumns) FROM volunteer_checks WHERE person_id = ? ORDER BY kind, created_at, id", [personId], check)
    }

    static func saveCheck(_ tx: Transaction, _ c: Check, isNew: Bool) throws {
        let values: [any SQLBindable] = [c.personId, c.kind, c.detail, c.status, c.issuedOn, c.expiresOn, c.certificate, c.updatedAt, c.version, c.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO volunteer_checks(person_id, kind, detail, status, issued_on, expires_on, certificate, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [c.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE volunteer_checks SET person_id = ?, kind = ?, detail = ?, status = ?, issued_on = ?, expires_on = ?, certificate = ?,
                    updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [c.version - 1]) == 1 else { throw Problem.preconditionFailed("Check \(c.id) changed meanwhile.") }
        }
    }
}
