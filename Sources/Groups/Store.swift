import Areas
import KithCore
import SQLiteStore

/// The Groups module's SQL. Only this module writes `groups`, `group_facets` and the search
/// indexes (kept in step by triggers).
enum GroupStore {
    static let columns = """
        g.id, g.name, g.description, g.kind, g.based_in, g.council_id, g.contact_name, g.contact_email, g.contact_phone,
        g.contact_public, g.website, g.meeting_pattern, g.volunteers, g.people_per_week, g.founded, g.newly_formed,
        g.known_to_council, g.works_with_council, g.scale, g.open_to_all, g.source, g.external_system, g.external_id,
        g.status, g.merged_into, g.possible_duplicates, g.latitude, g.longitude, g.postcode_outward,
        g.accepting_members, g.accepting_volunteers, g.accepting_beneficiaries, g.capacity_note, g.capacity_updated_at,
        g.last_confirmed_at, g.verified_at, g.verified_by, g.created_at, g.updated_at, g.version,
        g.charity_number, g.company_number
        """
    static let columnCount = 42

    static func group(_ row: Row) -> Group {
        func flag(_ i: Int) -> Bool? { row.isNull(i) ? nil : row.bool(i) }
        let duplicates = (try? JSON.parse(row.string(25)))?.arrayValue?.compactMap(\.stringValue) ?? []
        var group = Group(
            id: row.string(0), name: row.string(1), description: row.string(2), kind: row.string(3),
            basedIn: row.optionalString(4), councilId: row.optionalString(5), operatesIn: [], activities: [], beneficiaries: [],
            languages: [], needs: [], offers: [], contactName: row.optionalString(6), contactEmail: row.optionalString(7),
            contactPhone: row.optionalString(8), contactPublic: row.bool(9), website: row.optionalString(10),
            meetingPattern: row.optionalString(11), volunteers: row.optionalInt(12), peoplePerWeek: row.optionalInt(13),
            founded: row.optionalString(14), newlyFormed: row.bool(15), knownToCouncil: row.bool(16),
            worksWithCouncil: row.bool(17), scale: row.optionalString(18), openToAll: row.bool(19), source: row.string(20),
            externalSystem: row.optionalString(21), externalId: row.optionalString(22), status: row.string(23),
            mergedInto: row.optionalString(24), possibleDuplicates: duplicates, latitude: row.optionalDouble(26),
            longitude: row.optionalDouble(27), postcodeOutward: row.optionalString(28),
            capacity: Group.Capacity(acceptingMembers: flag(29), acceptingVolunteers: flag(30), acceptingBeneficiaries: flag(31),
                                     note: row.optionalString(32), updatedAt: row.optionalString(33)),
            lastConfirmedAt: row.string(34), verifiedAt: row.optionalString(35), verifiedBy: row.optionalString(36),
            createdAt: row.string(37), updatedAt: row.string(38), version: row.int(39))
        group.charityNumber = row.optionalString(40)
        group.companyNumber = row.optionalString(41)
        return group
    }

    // MARK: - Reading

    // Built once: the statement cache is keyed by the SQL text, and hot reads should not
    // rebuild (and rehash a fresh copy of) a 900-byte string on every call.
    private static let selectById = "SELECT \(columns) FROM groups g WHERE g.id = ?"
    private static let selectByExternalId = "SELECT \(columns) FROM groups g WHERE g.external_system = ? AND g.external_id = ?"
    private static let selectFacets = "SELECT facet, value FROM group_facets WHERE group_id = ? ORDER BY facet, value"

    static func find(_ db: Database, id: String) throws -> Group? {
        guard var group = try db.queryOne(selectById, [id], group) else { return nil }
        try attachFacets(db, to: &group)
        return group
    }

    static func find(_ db: Database, externalSystem: String, externalId: String) throws -> Group? {
        guard var group = try db.queryOne(selectByExternalId, [externalSystem, externalId], group) else { return nil }
        try attachFacets(db, to: &group)
        return group
    }

    static func attachFacets(_ db: Database, to group: inout Group) throws {
        let id = group.id
        try db.forEach(selectFacets, [id]) { group.add(facet: $0.string(0), value: $0.string(1)) }
    }

    /// Loads the multi-valued fields of many groups with one query.
    static func attachFacets(_ db: Database, to groups: inout [Group]) throws {
        guard !groups.isEmpty else { return }
        var index: [String: Int] = [:]
        for (i, group) in groups.enumerated() { index[group.id] = i }
        try db.forEach("""
            SELECT group_id, facet, value FROM group_facets
            WHERE group_id IN (SELECT value FROM json_each(?)) ORDER BY group_id, facet, value
            """, [JSON(groups.map(\.id)).encodedString()]) { row in
            guard let i = index[row.string(0)] else { return }
            groups[i].add(facet: row.string(1), value: row.string(2))
        }
    }

    /// Follows merges to the group that now stands for `id` (nil if `id` was never a group).
    static func resolveMerged(_ db: Database, id: String) throws -> String? {
        var current = id
        for _ in 0..<20 {
            guard let next = try db.queryOne("SELECT merged_into FROM groups WHERE id = ?", [current], { $0.optionalString(0) }) else {
                return current == id ? nil : current
            }
            guard let next else { return current }
            current = next
        }
        return current
    }

    /// Groups that look like the same group: same folded name in the same council, or the same
    /// contact email or phone. Merged and closed groups do not count.
    static func possibleDuplicates(_ db: Database, nameKey: String, councilId: String?, emailKey: String?,
                                   phoneKey: String?, excluding id: String?) throws -> [String] {
        try db.query("""
            SELECT id FROM groups
            WHERE status NOT IN ('merged', 'closed') AND id IS NOT ?4
              AND ((name_key = ?1 AND council_id IS ?5) OR (?2 IS NOT NULL AND email_key = ?2) OR (?3 IS NOT NULL AND phone_key = ?3))
            ORDER BY created_at, id LIMIT 10
            """, [nameKey, emailKey, phoneKey, id, councilId]) { $0.string(0) }
    }

    // MARK: - Writing

    /// Writes every column of `group` (insert when `isNew`), and its facets, and the search tags.
    static func save(_ tx: Transaction, _ group: Group, isNew: Bool) throws {
        let searchTags = try self.searchTags(tx.db, group)
        let values: [any SQLBindable] = [
            group.name, Rules.nameKey(group.name), group.description, group.kind, group.basedIn, group.councilId,
            group.contactName, group.contactEmail, group.contactPhone, group.contactPublic,
            Rules.emailKey(group.contactEmail), Rules.phoneKey(group.contactPhone), group.website, group.meetingPattern,
            group.volunteers, group.peoplePerWeek, group.founded, group.newlyFormed, group.knownToCouncil,
            group.worksWithCouncil, group.scale, group.openToAll, group.source, group.externalSystem, group.externalId,
            group.status, group.mergedInto, JSON(group.possibleDuplicates).encodedString(), group.latitude, group.longitude,
            group.postcodeOutward, group.capacity.acceptingMembers, group.capacity.acceptingVolunteers,
            group.capacity.acceptingBeneficiaries, group.capacity.note, group.capacity.updatedAt, group.lastConfirmedAt,
            group.verifiedAt, group.verifiedBy, searchTags, group.charityNumber, group.companyNumber,
            group.createdAt, group.updatedAt, group.version, group.id,
        ]
        if isNew {
            try tx.db.run("""
                INSERT INTO groups(name, name_key, description, kind, based_in, council_id, contact_name, contact_email,
                    contact_phone, contact_public, email_key, phone_key, website, meeting_pattern, volunteers, people_per_week,
                    founded, newly_formed, known_to_council, works_with_council, scale, open_to_all, source, external_system,
                    external_id, status, merged_into, possible_duplicates, latitude, longitude, postcode_outward,
                    accepting_members, accepting_volunteers, accepting_beneficiaries, capacity_note, capacity_updated_at,
                    last_confirmed_at, verified_at, verified_by, search_tags, charity_number, company_number,
                    created_at, updated_at, version, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values)
        } else {
            let changed = try tx.db.run("""
                UPDATE groups SET name = ?, name_key = ?, description = ?, kind = ?, based_in = ?, council_id = ?,
                    contact_name = ?, contact_email = ?, contact_phone = ?, contact_public = ?, email_key = ?, phone_key = ?,
                    website = ?, meeting_pattern = ?, volunteers = ?, people_per_week = ?, founded = ?, newly_formed = ?,
                    known_to_council = ?, works_with_council = ?, scale = ?, open_to_all = ?, source = ?, external_system = ?,
                    external_id = ?, status = ?, merged_into = ?, possible_duplicates = ?, latitude = ?, longitude = ?,
                    postcode_outward = ?, accepting_members = ?, accepting_volunteers = ?, accepting_beneficiaries = ?,
                    capacity_note = ?, capacity_updated_at = ?, last_confirmed_at = ?, verified_at = ?, verified_by = ?,
                    search_tags = ?, charity_number = ?, company_number = ?, created_at = ?, updated_at = ?, version = ?
                WHERE id = ? AND version = ? - 1
                """, values + [group.version])
            guard changed == 1 else { throw Problem.preconditionFailed("Group \(group.id) was changed by someone else meanwhile; fetch it again.") }
            try tx.db.run("DELETE FROM group_facets WHERE group_id = ?", [group.id])
        }
        let facets: [(String, [String])] = [
            ("activity", group.activities), ("beneficiary", group.beneficiaries), ("language", group.languages),
            ("need", group.needs), ("offer", group.offers), ("operates_in", group.operatesIn),
        ]
        for (facet, values) in facets {
            for value in values {
                try tx.db.run("INSERT OR IGNORE INTO group_facets(facet, value, group_id) VALUES (?, ?, ?)", [facet, value, group.id])
            }
        }
    }

    /// Words for full-text search beyond name and description: the labels of the group's
    /// answers and the names of its areas, so "ESOL Leyton" finds an English class based there.
    private static func searchTags(_ db: Database, _ group: Group) throws -> String {
        func labels(_ values: [String], _ terms: [Vocabulary.Term]) -> [String] {
            values.compactMap { value in terms.first { $0.value == value }?.label }
        }
        var words = labels([group.kind], Vocabulary.kinds) + labels(group.activities, Vocabulary.activities)
            + labels(group.beneficiaries, Vocabulary.beneficiaries) + labels(group.offers, Vocabulary.offers)
        let areaIds = Array(Set((group.basedIn.map { [$0] } ?? []) + group.operatesIn))
        if !areaIds.isEmpty {
            words += try db.query("SELECT name FROM areas WHERE id IN (SELECT value FROM json_each(?))",
                                  [JSON(areaIds).encodedString()]) { $0.string(0) }
        }
        return words.joined(separator: " ")
    }

    // MARK: - Confirmation tokens

    static func insertToken(_ tx: Transaction, hash: String, groupId: String, expiresAt: Timestamp) throws {
        try tx.db.run("INSERT INTO group_confirmation_tokens(token_hash, group_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                      [hash, groupId, tx.now.rfc3339, expiresAt.rfc3339])
    }

    /// Uses a token once; false if unknown, for another group, used or expired.
    static func useToken(_ tx: Transaction, hash: String, groupId: String) throws -> Bool {
        try tx.db.run("""
            UPDATE group_confirmation_tokens SET used_at = ?1
            WHERE token_hash = ?2 AND group_id = ?3 AND used_at IS NULL AND expires_at > ?1
            """, [tx.now.rfc3339, hash, groupId]) == 1
    }
}

extension Group {
    /// Adds one value of a multi-valued field, by its facet name in `group_facets`.
    mutating func add(facet: String, value: String) {
        switch facet {
        case "activity": activities.append(value)
        case "beneficiary": beneficiaries.append(value)
        case "language": languages.append(value)
        case "need": needs.append(value)
        case "offer": offers.append(value)
        case "operates_in": operatesIn.append(value)
        default: break
        }
    }
}
