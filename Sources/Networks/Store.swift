import KithCore
import SQLiteStore

/// The Networks module's SQL. Only this module writes its tables.
enum NetworkStore {
    // MARK: - Networks

    static let networkColumns = """
        id, name, description, parent_id, council_id, status, terms_of_reference, contact_email, contact_phone,
        meeting_pattern, decision_rule, created_at, updated_at, version
        """

    static func network(_ row: Row) -> Network {
        Network(id: row.string(0), name: row.string(1), description: row.string(2), parentId: row.optionalString(3),
                councilId: row.string(4), areas: [], status: row.string(5), termsOfReference: row.optionalString(6),
                contactEmail: row.optionalString(7), contactPhone: row.optionalString(8), meetingPattern: row.optionalString(9),
                decisionRule: row.string(10), facilitators: [], createdAt: row.string(11), updatedAt: row.string(12),
                version: row.int(13))
    }

    static func findNetwork(_ db: Database, id: String) throws -> Network? {
        guard var network = try db.queryOne("SELECT \(networkColumns) FROM networks WHERE id = ?", [id], network) else { return nil }
        try attach(db, to: &network)
        return network
    }

    static func attach(_ db: Database, to network: inout Network) throws {
        network.areas = try db.query("SELECT area_id FROM network_areas WHERE network_id = ? ORDER BY area_id", [network.id]) { $0.string(0) }
        network.facilitators = try db.query("""
            SELECT key_id, role FROM network_facilitators WHERE network_id = ? ORDER BY role DESC, since, key_id
            """, [network.id]) { (keyId: $0.string(0), role: $0.string(1)) }
    }

    static func listNetworks(_ db: Database, areaPath: String?, status: String?, updatedSince: Timestamp?, after: [String]?,
                             limit: Int) throws -> [Network] {
        var networks = try db.query("""
            SELECT \(networkColumns) FROM networks n
            WHERE (?1 IS NULL OR n.id IN (SELECT network_id FROM network_areas na JOIN areas a ON a.id = na.area_id
                                           WHERE substr(a.path, 1, length(?1)) = ?1))
              AND (?2 IS NULL OR n.status = ?2) AND (?3 IS NULL OR (n.name, n.id) > (?3, ?4)) AND (?6 IS NULL OR n.updated_at >= ?6)
            ORDER BY n.name, n.id LIMIT ?5
            """, [areaPath, status, after?.first, after?.last, limit, updatedSince?.rfc3339], network)
        for i in networks.indices { try attach(db, to: &networks[i]) }
        return networks
    }

    static func saveNetwork(_ tx: Transaction, _ n: Network, isNew: Bool) throws {
        let values: [any SQLBindable] = [n.name, n.description, n.parentId, n.councilId, n.status, n.termsOfReference, n.contactEmail,
                                         n.contactPhone, n.meetingPattern, n.decisionRule, n.updatedAt, n.version, n.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO networks(name, description, parent_id, council_id, status, terms_of_reference, contact_email,
                    contact_phone, meeting_pattern, decision_rule, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [n.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE networks SET name = ?, description = ?, parent_id = ?, council_id = ?, status = ?, terms_of_reference = ?,
                    contact_email = ?, contact_phone = ?, meeting_pattern = ?, decision_rule = ?, updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [n.version - 1]) == 1 else { throw Problem.preconditionFailed("Network \(n.id) changed meanwhile.") }
            try tx.db.run("DELETE FROM network_areas WHERE network_id = ?", [n.id])
        }
        for area in n.areas { try tx.db.run("INSERT INTO network_areas(network_id, area_id) VALUES (?, ?)", [n.id, area]) }
    }

    /// The network's id and its ancestors' ids, nearest first.
    static func lineage(_ db: Database, id: String) throws -> [String] {
        var ids: [String] = []
        var current: String? = id
        while let next = current, ids.count < 20 {
            ids.append(next)
            current = try db.queryOne("SELECT parent_id FROM networks WHERE id = ?", [next]) { $0.optionalString(0) } ?? nil
        }
        return ids
    }

    // MARK: - Members

    static let memberColumns = """
        id, network_id, kind, group_id, name, service_kind, contact_name, contact_email, contact_phone, role, status,
        requested_at, invited_at, joined_at, left_at, created_at, updated_at, version
        """

    static func member(_ row: Row) -> Member {
        Member(id: row.string(0), networkId: row.string(1), kind: row.string(2), groupId: row.optionalString(3), name: row.string(4),
               serviceKind: row.optionalString(5), contactName: row.optionalString(6), contactEmail: row.optionalString(7),
               contactPhone: row.optionalString(8), role: row.string(9), status: row.string(10), requestedAt: row.optionalString(11),
               invitedAt: row.optionalString(12), joinedAt: row.optionalString(13), leftAt: row.optionalString(14),
               createdAt: row.string(15), updatedAt: row.string(16), version: row.int(17))
    }

    static func findMember(_ db: Database, networkId: String, id: String) throws -> Member? {
        try db.queryOne("SELECT \(memberColumns) FROM network_members WHERE id = ? AND network_id = ?", [id, networkId], member)
    }

    /// In joining order: never by name, which would let a cursor or a position reveal the names
    /// of people the caller may not see.
    static func members(_ db: Database, networkId: String, status: String?, kind: String?, updatedSince: Timestamp?,
                        after: [String]?, limit: Int) throws -> [Member] {
        try db.query("""
            SELECT \(memberColumns) FROM network_members
            WHERE network_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR kind = ?3)
              AND (?4 IS NULL OR (created_at, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
            ORDER BY created_at, id LIMIT ?6
            """, [networkId, status, kind, after?.first, after?.last, limit, updatedSince?.rfc3339], member)
    }

    /// The live membership of a group in a network, if any.
    static func liveMembership(_ db: Database, networkId: String, groupId: String) throws -> Member? {
        try db.queryOne("""
            SELECT \(memberColumns) FROM network_members
            WHERE network_id = ? AND group_id = ? AND status IN ('requested', 'invited', 'active')
            """, [networkId, groupId], member)
    }

    static func saveMember(_ tx: Transaction, _ m: Member, isNew: Bool) throws {
        let values: [any SQLBindable] = [m.networkId, m.kind, m.groupId, m.name, m.serviceKind, m.contactName, m.contactEmail,
                                         m.contactPhone, m.role, m.status, m.requestedAt, m.invitedAt, m.joinedAt, m.leftAt,
                                         m.updatedAt, m.version, m.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_members(network_id, kind, group_id, name, service_kind, contact_name, contact_email,
                    contact_phone, role, status, requested_at, invited_at, joined_at, left_at, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [m.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_members SET network_id = ?, kind = ?, group_id = ?, name = ?, service_kind = ?, contact_name = ?,
                    contact_email = ?, contact_phone = ?, role = ?, status = ?, requested_at = ?, invited_at = ?, joined_at = ?,
                    left_at = ?, updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [m.version - 1]) == 1 else { throw Problem.preconditionFailed("Member \(m.id) changed meanwhile.") }
        }
    }

    // MARK: - Priorities, decisions, votes, conflicts

    static let priorityColumns = """
        id, network_id, title, description, status, public, proposed_by, decided_at, decided_by, votes_for, votes_against,
        votes_abstain, decision_note, created_at, updated_at, version
        """

    static func priority(_ row: Row) -> Priority {
        Priority(id: row.string(0), networkId: row.string(1), title: row.string(2), description: row.string(3), status: row.string(4),
                 isPublic: row.bool(5), proposedBy: row.optionalString(6), decidedAt: row.optionalString(7),
                 decidedBy: row.optionalString(8),
                 votes: row.isNull(9) ? nil : (row.int(9), row.int(10), row.int(11)), decisionNote: row.optionalString(12),
                 links: [], createdAt: row.string(13), updatedAt: row.string(14), version: row.int(15))
    }

    static func findPriority(_ db: Database, networkId: String, id: String) throws -> Priority? {
        guard var priority = try db.queryOne("SELECT \(priorityColumns) FROM network_priorities WHERE id = ? AND network_id = ?",
                                             [id, networkId], priority) else { return nil }
        priority.links = try links(db, priorityId: id)
        return priority
    }

    static func links(_ db: Database, priorityId: String) throws -> [(kind: String, reference: String, note: String?)] {
        try db.query("SELECT kind, reference, note FROM network_priority_links WHERE priority_id = ? ORDER BY created_at, reference",
                     [priorityId]) { (kind: $0.string(0), reference: $0.string(1), note: $0.optionalString(2)) }
    }

    static func savePriority(_ tx: Transaction, _ p: Priority, isNew: Bool) throws {
        let values: [any SQLBindable] = [p.networkId, p.title, p.description, p.status, p.isPublic, p.proposedBy, p.decidedAt,
                                         p.decidedBy, p.votes?.for, p.votes?.against, p.votes?.abstain, p.decisionNote,
                                         p.updatedAt, p.version, p.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_priorities(network_id, title, description, status, public, proposed_by, decided_at, decided_by,
                    votes_for, votes_against, votes_abstain, decision_note, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [p.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_priorities SET network_id = ?, title = ?, description = ?, status = ?, public = ?, proposed_by = ?,
                    decided_at = ?, decided_by = ?, votes_for = ?, votes_against = ?, votes_abstain = ?, decision_note = ?,
                    updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [p.version - 1]) == 1 else { throw Problem.preconditionFailed("Priority \(p.id) changed meanwhile.") }
        }
    }

    static let decisionColumns = """
        id, network_id, title, kind, round_ref, amount_pence, items, rationale, method, status, outcome, votes_for,
        votes_against, votes_abstain, decided_at, created_at, updated_at, version, participants
        """

    static func decision(_ row: Row) -> Decision {
        Decision(id: row.string(0), networkId: row.string(1), title: row.string(2), kind: row.string(3), roundRef: row.optionalString(4),
                 amountPence: row.optionalInt(5), items: (try? JSON.parse(row.string(6)))?.arrayValue?.compactMap(\.stringValue) ?? [],
                 rationale: row.optionalString(7), method: row.optionalString(8), status: row.string(9), outcome: row.optionalString(10),
                 votes: row.isNull(11) ? nil : (row.int(11), row.int(12), row.int(13)), decidedAt: row.optionalString(14),
                 createdAt: row.string(15), updatedAt: row.string(16), version: row.int(17),
                 participants: (try? JSON.parse(row.string(18)))?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    static func findDecision(_ db: Database, networkId: String, id: String) throws -> Decision? {
        try db.queryOne("SELECT \(decisionColumns) FROM network_decisions WHERE id = ? AND network_id = ?", [id, networkId], decision)
    }

    static func saveDecision(_ tx: Transaction, _ d: Decision, isNew: Bool) throws {
        let values: [any SQLBindable] = [d.networkId, d.title, d.kind, d.roundRef, d.amountPence, JSON(d.items).encodedString(),
                                         d.rationale, d.method, d.status, d.outcome, d.votes?.for, d.votes?.against,
                                         d.votes?.abstain, d.decidedAt, JSON(d.participants).encodedString(), d.updatedAt, d.version, d.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_decisions(network_id, title, kind, round_ref, amount_pence, items, rationale, method, status,
                    outcome, votes_for, votes_against, votes_abstain, decided_at, participants, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [d.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_decisions SET network_id = ?, title = ?, kind = ?, round_ref = ?, amount_pence = ?, items = ?,
                    rationale = ?, method = ?, status = ?, outcome = ?, votes_for = ?, votes_against = ?, votes_abstain = ?,
                    decided_at = ?, participants = ?, updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [d.version - 1]) == 1 else { throw Problem.preconditionFailed("Decision \(d.id) changed meanwhile.") }
        }
    }

    /// Votes that count now: from members still active, still eligible under the network's rule,
    /// and without a declared conflict on the item.
    static func tally(_ db: Database, itemType: String, itemId: String, rule: String) throws -> (for: Int, against: Int, abstain: Int) {
        var counts = (for: 0, against: 0, abstain: 0)
        try db.forEach("""
            SELECT v.vote, count(*) FROM network_votes v JOIN network_members m ON m.id = v.member_id
            WHERE v.item_type = ?1 AND v.item_id = ?2 AND m.status = 'active'
              AND (CASE ?3 WHEN 'steering_group' THEN m.role IN ('steering', 'chair') ELSE m.role <> 'observer' END)
              AND NOT EXISTS (SELECT 1 FROM network_conflicts c WHERE c.item_type = ?1 AND c.item_id = ?2 AND c.member_id = v.member_id)
            GROUP BY v.vote
            """, [itemType, itemId, rule]) {
            switch $0.string(0) {
            case "for": counts.for = $0.int(1)
            case "against": counts.against = $0.int(1)
            default: counts.abstain = $0.int(1)
            }
        }
        return counts
    }

    static func votes(_ db: Database, itemType: String, itemId: String) throws -> [JSON] {
        try db.query("SELECT member_id, vote, cast_at, recorded_by FROM network_votes WHERE item_type = ? AND item_id = ? ORDER BY cast_at, member_id",
                     [itemType, itemId]) {
            ["member_id": .string($0.string(0)), "vote": .string($0.string(1)), "cast_at": .string($0.string(2)),
             "recorded_by": JSON($0.optionalString(3))]
        }
    }

    /// Whether this voter (this membership, or the same group through an earlier membership) has
    /// voted on, or declared a conflict on, the item.
    static func hasVoted(_ db: Database, itemType: String, itemId: String, member: Member) throws -> Bool {
        try db.scalarInt("""
            SELECT count(*) FROM network_votes v JOIN network_members m ON m.id = v.member_id
            WHERE v.item_type = ?1 AND v.item_id = ?2 AND (m.id = ?3 OR (m.group_id IS NOT NULL AND m.group_id IS ?4))
            """, [itemType, itemId, member.id, member.groupId]) ?? 0 > 0
    }

    static func conflicts(_ db: Database, itemType: String, itemId: String) throws -> [JSON] {
        try db.query("SELECT member_id, note, declared_at FROM network_conflicts WHERE item_type = ? AND item_id = ? ORDER BY declared_at, member_id",
                     [itemType, itemId]) { ["member_id": .string($0.string(0)), "note": JSON($0.optionalString(1)), "declared_at": .string($0.string(2))] }
    }

    static func hasConflict(_ db: Database, itemType: String, itemId: String, member: Member) throws -> Bool {
        try db.scalarInt("""
            SELECT count(*) FROM network_conflicts c JOIN network_members m ON m.id = c.member_id
            WHERE c.item_type = ?1 AND c.item_id = ?2 AND (m.id = ?3 OR (m.group_id IS NOT NULL AND m.group_id IS ?4))
            """, [itemType, itemId, member.id, member.groupId]) ?? 0 > 0
    }

    // MARK: - Meetings, actions, commitments

    static let meetingColumns = "id, network_id, title, starts_at, ends_at, asset_id, place_note, agenda, minutes, status, guests, created_at, updated_at, version"

    static func meeting(_ row: Row) -> Meeting {
        Meeting(id: row.string(0), networkId: row.string(1), title: row.string(2), startsAt: row.string(3), endsAt: row.optionalString(4),
                assetId: row.optionalString(5), placeNote: row.optionalString(6), agenda: row.string(7), minutes: row.optionalString(8),
                status: row.string(9), guests: row.int(10), attendees: [], createdAt: row.string(11), updatedAt: row.string(12),
                version: row.int(13))
    }

    static func findMeeting(_ db: Database, networkId: String, id: String) throws -> Meeting? {
        guard var meeting = try db.queryOne("SELECT \(meetingColumns) FROM network_meetings WHERE id = ? AND network_id = ?",
                                            [id, networkId], meeting) else { return nil }
        meeting.attendees = try db.query("SELECT member_id FROM network_attendance WHERE meeting_id = ? ORDER BY member_id", [id]) { $0.string(0) }
        return meeting
    }

    static func saveMeeting(_ tx: Transaction, _ m: Meeting, isNew: Bool) throws {
        let values: [any SQLBindable] = [m.networkId, m.title, m.startsAt, m.endsAt, m.assetId, m.placeNote, m.agenda, m.minutes, m.status,
                                         m.guests, m.updatedAt, m.version, m.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_meetings(network_id, title, starts_at, ends_at, asset_id, place_note, agenda, minutes, status, guests,
                    updated_at, version, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [m.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_meetings SET network_id = ?, title = ?, starts_at = ?, ends_at = ?, asset_id = ?, place_note = ?, agenda = ?,
                    minutes = ?, status = ?, guests = ?, updated_at = ?, version = ?
                WHERE id = ? AND version = ?
                """, values + [m.version - 1]) == 1 else { throw Problem.preconditionFailed("Meeting \(m.id) changed meanwhile.") }
            try tx.db.run("DELETE FROM network_attendance WHERE meeting_id = ?", [m.id])
        }
        for member in m.attendees { try tx.db.run("INSERT INTO network_attendance(meeting_id, member_id) VALUES (?, ?)", [m.id, member]) }
    }

    static let actionColumns = "id, network_id, meeting_id, priority_id, description, owner_id, due_on, status, done_at, created_at, updated_at, version"

    static func action(_ row: Row) -> Action {
        Action(id: row.string(0), networkId: row.string(1), meetingId: row.optionalString(2), priorityId: row.optionalString(3),
               description: row.string(4), ownerId: row.optionalString(5), dueOn: row.optionalString(6), status: row.string(7),
               doneAt: row.optionalString(8), createdAt: row.string(9), updatedAt: row.string(10), version: row.int(11))
    }

    static func saveAction(_ tx: Transaction, _ a: Action, isNew: Bool) throws {
        let values: [any SQLBindable] = [a.networkId, a.meetingId, a.priorityId, a.description, a.ownerId, a.dueOn, a.status, a.doneAt,
                                         a.updatedAt, a.version, a.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_actions(network_id, meeting_id, priority_id, description, owner_id, due_on, status, done_at,
                    updated_at, version, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [a.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_actions SET network_id = ?, meeting_id = ?, priority_id = ?, description = ?, owner_id = ?, due_on = ?,
                    status = ?, done_at = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [a.version - 1]) == 1 else { throw Problem.preconditionFailed("Action \(a.id) changed meanwhile.") }
        }
    }

    static let commitmentColumns = "id, network_id, member_id, priority_id, action, status, due_on, progress, created_at, updated_at, version"

    static func commitment(_ row: Row) -> Commitment {
        Commitment(id: row.string(0), networkId: row.string(1), memberId: row.string(2), priorityId: row.optionalString(3),
                   action: row.string(4), status: row.string(5), dueOn: row.optionalString(6),
                   progress: (try? JSON.parse(row.string(7))) ?? .array([]), createdAt: row.string(8), updatedAt: row.string(9),
                   version: row.int(10))
    }

    static func saveCommitment(_ tx: Transaction, _ c: Commitment, isNew: Bool) throws {
        let values: [any SQLBindable] = [c.networkId, c.memberId, c.priorityId, c.action, c.status, c.dueOn, c.progress.encodedString(),
                                         c.updatedAt, c.version, c.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO network_commitments(network_id, member_id, priority_id, action, status, due_on, progress, updated_at,
                    version, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [c.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE network_commitments SET network_id = ?, member_id = ?, priority_id = ?, action = ?, status = ?, due_on = ?,
                    progress = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [c.version - 1]) == 1 else { throw Problem.preconditionFailed("Commitment \(c.id) changed meanwhile.") }
        }
    }

    // MARK: - Assets and events

    static let assetColumns = "id, name, kind, area_id, address, capacity, accessibility, availability_notes, owner, network_id, created_at, updated_at, version"

    static func asset(_ row: Row) -> Asset {
        Asset(id: row.string(0), name: row.string(1), kind: row.string(2), areaId: row.string(3), address: row.optionalString(4),
              capacity: row.optionalInt(5), accessibility: (try? JSON.parse(row.string(6)))?.arrayValue?.compactMap(\.stringValue) ?? [],
              availabilityNotes: row.optionalString(7), owner: row.optionalString(8), networkId: row.optionalString(9),
              createdAt: row.string(10), updatedAt: row.string(11), version: row.int(12))
    }

    static func findAsset(_ db: Database, id: String) throws -> Asset? {
        try db.queryOne("SELECT \(assetColumns) FROM assets WHERE id = ?", [id], asset)
    }

    static func saveAsset(_ tx: Transaction, _ a: Asset, isNew: Bool) throws {
        let values: [any SQLBindable] = [a.name, a.kind, a.areaId, a.address, a.capacity, JSON(a.accessibility).encodedString(),
                                         a.availabilityNotes, a.owner, a.networkId, a.updatedAt, a.version, a.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO assets(name, kind, area_id, address, capacity, accessibility, availability_notes, owner, network_id,
                    updated_at, version, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [a.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE assets SET name = ?, kind = ?, area_id = ?, address = ?, capacity = ?, accessibility = ?, availability_notes = ?,
                    owner = ?, network_id = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [a.version - 1]) == 1 else { throw Problem.preconditionFailed("Asset \(a.id) changed meanwhile.") }
        }
    }

    static let eventColumns = """
        id, title, description, organiser_group, organiser_network, area_id, asset_id, place_note, starts_at, ends_at, category,
        open_to_all, capacity, accessibility, status, attendance, created_at, updated_at, version
        """

    static func event(_ row: Row) -> Event {
        Event(id: row.string(0), title: row.string(1), description: row.string(2), organiserGroup: row.optionalString(3),
              organiserNetwork: row.optionalString(4), areaId: row.string(5), assetId: row.optionalString(6),
              placeNote: row.optionalString(7), startsAt: row.string(8), endsAt: row.optionalString(9), category: row.string(10),
              openToAll: row.bool(11), capacity: row.optionalInt(12),
              accessibility: (try? JSON.parse(row.string(13)))?.arrayValue?.compactMap(\.stringValue) ?? [],
              status: row.string(14), attendance: row.optionalInt(15), createdAt: row.string(16), updatedAt: row.string(17),
              version: row.int(18))
    }

    static func findEvent(_ db: Database, id: String) throws -> Event? {
        try db.queryOne("SELECT \(eventColumns) FROM events WHERE id = ?", [id], event)
    }

    static func saveEvent(_ tx: Transaction, _ e: Event, isNew: Bool) throws {
        let values: [any SQLBindable] = [e.title, e.description, e.organiserGroup, e.organiserNetwork, e.areaId, e.assetId, e.placeNote,
                                         e.startsAt, e.endsAt, e.category, e.openToAll, e.capacity, JSON(e.accessibility).encodedString(),
                                         e.status, e.attendance, e.updatedAt, e.version, e.id]
        if isNew {
            try tx.db.run("""
                INSERT INTO events(title, description, organiser_group, organiser_network, area_id, asset_id, place_note, starts_at,
                    ends_at, category, open_to_all, capacity, accessibility, status, attendance, updated_at, version, id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [e.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE events SET title = ?, description = ?, organiser_group = ?, organiser_network = ?, area_id = ?, asset_id = ?,
                    place_note = ?, starts_at = ?, ends_at = ?, category = ?, open_to_all = ?, capacity = ?, accessibility = ?,
                    status = ?, attendance = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?
                """, values + [e.version - 1]) == 1 else { throw Problem.preconditionFailed("Event \(e.id) changed meanwhile.") }
        }
    }
}
