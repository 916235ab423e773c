import Areas
import KithCore
import SQLiteStore

/// `GET /v1/networks/{id}/report?from=&to=`: a network's figures for any period (the programme
/// board reviews at 3, 6 and 9 months and yearly). Counts only: no personal data.
enum Report {
    @Sendable static func report(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["from", "to"])
        let from = try request.query.timestamp("from") ?? Timestamp(millisecondsSinceEpoch: 0)
        let to = try request.query.timestamp("to") ?? context.now
        guard from < to else { throw Problem.invalid("to", "must be after from") }
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let viewer = context.principal?.role == .viewer
            guard try viewer || Permissions.canManage(context.principal, network, db: db) else {
                throw Problem.forbidden("The report is for this network's managers and the programme board (viewer keys).")
            }
            if viewer, try !reaches(context.principal, network, db: db) { throw Problem.notFound("No network \(network.id).") }
            let manager = try Permissions.canManage(context.principal, network, db: db)
            return .json(try figures(db, network: network, from: from, to: to, showPrivate: manager))
        }
    }

    /// A viewer limited to an area sees the networks working in it.
    static func reaches(_ principal: Principal?, _ network: Network, db: Database) throws -> Bool {
        guard let scope = principal?.scope else { return true }
        guard scope.kind == .area else { return false }
        return try network.areas.contains { try Areas.isWithin(db, areaId: $0, ancestorId: scope.id) }
            || Areas.isWithin(db, areaId: scope.id, ancestorId: network.councilId) && network.areas.contains { try Areas.isWithin(db, areaId: scope.id, ancestorId: $0) }
    }

    /// `showPrivate`: the network's own managers see private priorities' titles; the board counts them.
    static func figures(_ db: Database, network: Network, from: Timestamp, to: Timestamp, showPrivate: Bool) throws -> JSON {
        let (f, t) = (from.rfc3339, to.rfc3339)
        let id = network.id

        // Members active at the end of the period, by kind.
        var byKind: [String: Int] = [:]
        try db.forEach("""
            SELECT kind, count(*) FROM network_members
            WHERE network_id = ?1 AND joined_at IS NOT NULL AND joined_at < ?2 AND (left_at IS NULL OR left_at >= ?2) GROUP BY kind
            """, [id, t]) { byKind[$0.string(0)] = $0.int(1) }
        let joined = try db.scalarInt("""
            SELECT count(*) FROM network_members WHERE network_id = ? AND kind = 'group' AND joined_at >= ? AND joined_at < ?
            """, [id, f, t]) ?? 0
        let left = try db.scalarInt("SELECT count(*) FROM network_members WHERE network_id = ? AND left_at >= ? AND left_at < ?", [id, f, t]) ?? 0

        // Meetings held, with attendance over time.
        let meetings = try db.query("""
            SELECT m.id, m.starts_at, m.guests, (SELECT count(*) FROM network_attendance a WHERE a.meeting_id = m.id)
            FROM network_meetings m WHERE m.network_id = ? AND m.status = 'held' AND m.starts_at >= ? AND m.starts_at < ?
            ORDER BY m.starts_at, m.id
            """, [id, f, t]) { row -> JSON in
            ["meeting_id": .string(row.string(0)), "starts_at": .string(row.string(1)), "members": .int(row.int(3)),
             "guests": .int(row.int(2)), "total": .int(row.int(2) + row.int(3))]
        }

        // Priorities and the progress of what serves them.
        let priorities = try db.query("""
            SELECT p.id, CASE WHEN p.public = 1 OR ?3 = 1 THEN p.title END, p.status,
                (SELECT count(*) FROM network_commitments c WHERE c.priority_id = p.id),
                (SELECT count(*) FROM network_commitments c WHERE c.priority_id = p.id AND c.status = 'done'),
                (SELECT count(*) FROM network_actions a WHERE a.priority_id = p.id),
                (SELECT count(*) FROM network_actions a WHERE a.priority_id = p.id AND a.status = 'done'),
                (SELECT count(*) FROM network_priority_links l WHERE l.priority_id = p.id AND l.kind = 'funding_application')
            FROM network_priorities p WHERE p.network_id = ?1 AND p.created_at < ?2 ORDER BY p.created_at, p.id
            """, [id, t, showPrivate]) { row -> JSON in
            ["id": .string(row.string(0)), "title": JSON(row.optionalString(1)), "status": .string(row.string(2)),
             "commitments": ["total": .int(row.int(3)), "done": .int(row.int(4))],
             "actions": ["total": .int(row.int(5)), "done": .int(row.int(6))],
             "funded_projects": .int(row.int(7))]
        }

        // Actions: open and overdue at the end of the period, done during it.
        let today = to.date
        let open = try db.scalarInt("""
            SELECT count(*) FROM network_actions WHERE network_id = ? AND created_at < ? AND (status = 'open' OR (status = 'done' AND done_at >= ?))
            """, [id, t, t]) ?? 0
        let overdue = try db.scalarInt("""
            SELECT count(*) FROM network_actions WHERE network_id = ? AND created_at < ? AND due_on < ?
              AND (status = 'open' OR (status = 'done' AND done_at >= ?))
            """, [id, t, today, t]) ?? 0
        let done = try db.scalarInt("SELECT count(*) FROM network_actions WHERE network_id = ? AND done_at >= ? AND done_at < ?", [id, f, t]) ?? 0

        // Money: what the network decided (Funding moves the money and reports awards).
        let allocated = try db.scalarInt("""
            SELECT coalesce(sum(amount_pence), 0) FROM network_decisions
            WHERE network_id = ? AND kind = 'allocate' AND outcome = 'agreed' AND decided_at >= ? AND decided_at < ?
            """, [id, f, t]) ?? 0
        var recommended = (applications: 0, pence: 0)
        try db.forEach("""
            SELECT coalesce(sum(json_array_length(items)), 0), coalesce(sum(amount_pence), 0) FROM network_decisions
            WHERE network_id = ? AND kind IN ('recommend', 'rank') AND outcome = 'agreed' AND decided_at >= ? AND decided_at < ?
            """, [id, f, t]) { recommended = ($0.int(0), $0.int(1)) }
        let decisions = try db.scalarInt("SELECT count(*) FROM network_decisions WHERE network_id = ? AND decided_at >= ? AND decided_at < ?",
                                         [id, f, t]) ?? 0
        var external: [JSON] = []
        var externalTotal = 0
        try db.forEach("""
            SELECT funder, sum(amount_pence) FROM network_external_funding
            WHERE network_id = ? AND received_on >= ? AND received_on || 'T00:00:00.000Z' < ?
            GROUP BY funder ORDER BY funder
            """, [id, from.date, t]) {
            external.append(["funder": .string($0.string(0)), "amount_pence": .int($0.int(1))])
            externalTotal += $0.int(1)
        }

        return [
            "network_id": .string(id), "from": .string(f), "to": .string(t),
            "members": ["by_kind": .object(Member.kinds.map { ($0, .int(byKind[$0] ?? 0)) }),
                        "total": .int(byKind.values.reduce(0, +)), "groups_newly_joined": .int(joined), "left": .int(left)],
            "meetings": ["held": .int(meetings.count), "attendance": .array(meetings)],
            "priorities": .array(priorities),
            "actions": ["open": .int(open), "overdue": .int(overdue), "done": .int(done)],
            // Awards are made in the Funding module; until it reports them here, awarded_pence is null.
            "money": ["decisions": .int(decisions), "allocated_pence": .int(allocated),
                      "recommended_pence": .int(recommended.pence), "applications_recommended": .int(recommended.applications),
                      "awarded_pence": .null],
            "external_funding": ["total_pence": .int(externalTotal), "by_funder": .array(external)],
        ]
    }

    // MARK: - External funding

    @Sendable static func listExternalFunding(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "external-funding", keyLength: 2)
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let network = try Permissions.network(db, id: request.parameter("id"))
            guard try Permissions.canReadMembersOnly(context.principal, network, db: db) else {
                throw Problem.forbidden("A network's funding records are for its members and managers.")
            }
            return try db.query("""
                SELECT id, funder, amount_pence, received_on, note, created_at FROM network_external_funding
                WHERE network_id = ?1 AND (?2 IS NULL OR (received_on, id) > (?2, ?3)) AND (?5 IS NULL OR updated_at >= ?5)
                ORDER BY received_on, id LIMIT ?4
                """, [network.id, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339]) {
                ["id": .string($0.string(0)), "network_id": .string(network.id), "funder": .string($0.string(1)), "amount_pence": .int($0.int(2)),
                 "received_on": .string($0.string(3)), "note": JSON($0.optionalString(4)), "created_at": .string($0.string(5))]
            }
        }
        let (items, next) = page.page(rows) { [$0["received_on"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func recordExternalFunding(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let funder = input.string("funder", required: true, maxLength: 200)
        let amount = input.int("amount_pence", required: true, in: 1...Int(Int32.max) * 100)
        let received = input.date("received_on", required: true)
        let note = input.string("note", maxLength: 1000)
        try input.finish()
        guard let funder, let amount, let received else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            let id = Identifier.make("ext", at: tx.now)
            try tx.db.run("""
                INSERT INTO network_external_funding(id, network_id, funder, amount_pence, received_on, note, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, network.id, funder, amount, received, note, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "network_external_funding", id, changes: ["funder", "amount_pence", "received_on", "note"])
            return ["id": .string(id), "network_id": .string(network.id), "funder": .string(funder), "amount_pence": .int(amount),
                    "received_on": .string(received), "note": JSON(note), "created_at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }
}
