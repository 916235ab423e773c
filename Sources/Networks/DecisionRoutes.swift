import KithCore
import SQLiteStore

/// Priorities and decisions on programme money: proposals, votes, declared conflicts of
/// interest, and the decision under the network's rule.
///
/// Rules: a vote counts each member once; a member who declared a conflict on an item cannot
/// vote on it (declaring one withdraws a vote already cast). Under `member_vote` every active
/// member except observers may vote; under `steering_group` only steering members and the chair,
/// and the steering group may also decide by consensus with a recorded rationale.
enum DecisionRoutes {
    // MARK: - Priorities

    @Sendable static func listPriorities(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "priorities", filters: ["status"], keyLength: 2)
        let status = try request.query.oneOf("status", Priority.statuses)
        let after = try page.afterStrings()
        let priorities = try context.read { db -> [Priority] in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let member = try Permissions.canReadMembersOnly(context.principal, network, db: db)
            var rows = try db.query("""
                SELECT \(NetworkStore.priorityColumns) FROM network_priorities
                WHERE network_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 = 1 OR public = 1)
                  AND (?4 IS NULL OR (created_at, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
                ORDER BY created_at, id LIMIT ?6
                """, [network.id, status, member, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], NetworkStore.priority)
            for i in rows.indices { rows[i].links = try NetworkStore.links(db, priorityId: rows[i].id) }
            return rows
        }
        let (items, next) = page.page(priorities) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showPriority(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let member = try Permissions.canReadMembersOnly(context.principal, network, db: db)
            guard let priority = try NetworkStore.findPriority(db, networkId: network.id, id: request.parameter("priority")),
                  priority.isPublic || member else { throw Problem.notFound("No priority \(request.parameter("priority")).") }
            var json = priority.json
            if member, case .object(var pairs) = json {
                pairs.append(("votes", .array(try NetworkStore.votes(db, itemType: "priority", itemId: priority.id))))
                pairs.append(("conflicts", .array(try NetworkStore.conflicts(db, itemType: "priority", itemId: priority.id))))
                json = .object(pairs)
            }
            return .resource(json, version: priority.version)
        }
    }

    /// `POST .../priorities`: a manager, or a member group, proposes a priority.
    @Sendable static func proposePriority(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let title = input.string("title", required: true, maxLength: 200)
        let description = input.text("description") ?? ""
        let isPublic = input.bool("public") ?? true
        let proposedBy = input.string("proposed_by", maxLength: 60)
        try input.finish()
        guard let title else { throw Problem.internalError() }
        let priority = try context.write { tx -> Priority in
            let network = try Permissions.network(tx.db, id: request.parameter("id"))
            let manager = try Permissions.canManage(context.principal, network, db: tx.db)
            let own = try Permissions.membership(context.principal, network, db: tx.db)
            guard manager || own != nil else { throw Problem.forbidden("Only this network's members and managers propose priorities.") }
            try Permissions.requireOpen(network)
            var proposer = own?.id
            if let proposedBy {
                guard manager || proposedBy == own?.id else { throw Problem.invalid("proposed_by", "must be your own membership") }
                proposer = try MemberRoutes.activeMember(tx.db, network: network, id: proposedBy, field: "proposed_by").id
            }
            let now = tx.now.rfc3339
            let priority = Priority(id: Identifier.make("pri", at: tx.now), networkId: network.id, title: title, description: description,
                                    status: "proposed", isPublic: isPublic, proposedBy: proposer, decidedAt: nil, decidedBy: nil, votes: nil,
                                    decisionNote: nil, links: [], createdAt: now, updatedAt: now, version: 1)
            try NetworkStore.savePriority(tx, priority, isNew: true)
            try tx.audit("create", "network_priority", priority.id, changes: ["title", "description", "public", "proposed_by"])
            return priority
        }
        return .created(priority.json, location: "/v1/networks/\(priority.networkId)/priorities/\(priority.id)", version: priority.version)
    }

    /// `PATCH .../priorities/{priority}`: a manager edits it or moves an adopted priority on
    /// (achieved or dropped). A proposed priority leaves that state only by a decision.
    @Sendable static func updatePriority(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let title = input.string("title", maxLength: 200)
        let description = input.text("description")
        let isPublic = input.bool("public")
        let status = input.choice("status", from: ["achieved", "dropped"])
        try input.finish()
        let priority = try context.write { tx -> Priority in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            guard let current = try NetworkStore.findPriority(tx.db, networkId: network.id, id: request.parameter("priority")) else {
                throw Problem.notFound("No priority \(request.parameter("priority")).")
            }
            try ETag.check(request, currentVersion: current.version)
            var priority = current
            var changes: [String] = []
            if let title, title != current.title { priority.title = title; changes.append("title") }
            if let description, description != current.description { priority.description = description; changes.append("description") }
            if let isPublic, isPublic != current.isPublic { priority.isPublic = isPublic; changes.append("public") }
            if let status, status != current.status {
                guard current.status == "adopted" else {
                    throw Problem.conflict("A \(current.status) priority cannot become \(status)\(current.status == "proposed" ? "; decide it first" : "").")
                }
                priority.status = status
                changes.append("status")
            }
            guard !changes.isEmpty else { return current }
            priority.updatedAt = tx.now.rfc3339
            priority.version += 1
            try NetworkStore.savePriority(tx, priority, isNew: false)
            try tx.audit("update", "network_priority", priority.id, changes: changes)
            return priority
        }
        return .resource(priority.json, version: priority.version)
    }

    /// `POST .../priorities/{priority}/links`: what serves the priority elsewhere (a funded project).
    @Sendable static func linkPriority(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let kind = input.choice("kind", from: ["funding_application", "funding_round", "other"], required: true)
        let reference = input.string("reference", required: true, maxLength: 200)
        let note = input.string("note", maxLength: 500)
        try input.finish()
        guard let kind, let reference else { throw Problem.internalError() }
        let priority = try context.write { tx -> Priority in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            guard let priority = try NetworkStore.findPriority(tx.db, networkId: network.id, id: request.parameter("priority")) else {
                throw Problem.notFound("No priority \(request.parameter("priority")).")
            }
            try tx.db.run("INSERT INTO network_priority_links(priority_id, kind, reference, note, created_at) VALUES (?, ?, ?, ?, ?)",
                          [priority.id, kind, reference, note, tx.now.rfc3339])
            try bumpVersion(tx, .priority, priority.id)
            try tx.audit("link", "network_priority", priority.id, changes: ["links"])
            return try NetworkStore.findPriority(tx.db, networkId: network.id, id: priority.id) ?? priority
        }
        return .resource(priority.json, version: priority.version, status: 201)
    }

    // MARK: - Resource decisions

    @Sendable static func listDecisions(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "decisions", filters: ["status"], keyLength: 2)
        let status = try request.query.oneOf("status", ["open", "decided", "withdrawn"])
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let member = try Permissions.canReadMembersOnly(context.principal, network, db: db)
            // The public sees decisions once made; open ones are the members' business.
            let decisions = try db.query("""
                SELECT \(NetworkStore.decisionColumns) FROM network_decisions
                WHERE network_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR (created_at, id) > (?3, ?4))
                  AND (?6 = 1 OR status = 'decided') AND (?7 IS NULL OR updated_at >= ?7)
                ORDER BY created_at, id LIMIT ?5
                """, [network.id, status, after?.first, after?.last, page.fetchLimit, member, page.updatedSince?.rfc3339], NetworkStore.decision)
            return try decisions.map { try decisionJSON(db, $0, memberView: member) }
        }
        let (items, next) = page.page(rows) { [$0["created_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func showDecision(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let member = try Permissions.canReadMembersOnly(context.principal, network, db: db)
            guard let decision = try NetworkStore.findDecision(db, networkId: network.id, id: request.parameter("decision")),
                  member || decision.status == "decided" else {
                throw Problem.notFound("No decision \(request.parameter("decision")).")
            }
            return .resource(try decisionJSON(db, decision, memberView: member), version: decision.version)
        }
    }

    /// The decision with who took part; votes and conflicts by member are for members only.
    static func decisionJSON(_ db: Database, _ decision: Decision, memberView: Bool) throws -> JSON {
        let votes = try NetworkStore.votes(db, itemType: "decision", itemId: decision.id)
        let participants = votes.isEmpty ? decision.participants : votes.compactMap { $0["member_id"]?.stringValue }
        let conflicts = try NetworkStore.conflicts(db, itemType: "decision", itemId: decision.id)
        var json = decision.json(participants: memberView ? participants : [], conflicts: memberView ? conflicts : [])
        if case .object(var pairs) = json {
            if memberView { pairs.append(("ballots", .array(votes))) } else {
                pairs.append(("participant_count", .int(participants.count)))
                pairs.append(("conflict_count", .int(conflicts.count)))
            }
            json = .object(pairs)
        }
        return json
    }

    /// `POST .../decisions`: a manager puts a decision about programme money to the network:
    /// recommend applications, rank them, or allocate an amount of a round's budget.
    @Sendable static func openDecision(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let title = input.string("title", required: true, maxLength: 200)
        let kind = input.choice("kind", from: Decision.kinds, required: true)
        let roundRef = input.string("round_ref", maxLength: 100)
        let amount = input.int("amount_pence", in: 1...Int(Int32.max) * 100)
        let items = input.strings("items", maxCount: 200, maxLength: 100) ?? []
        let rationale = input.text("rationale", maxLength: 5000)
        // allocate: a share of a round's budget; recommend and rank: the applications, with the
        // money they ask for when known.
        if kind == "allocate" && amount == nil { input.fail("amount_pence", "is required to allocate") }
        if kind == "allocate" && roundRef == nil { input.fail("round_ref", "is required to allocate a share of a round") }
        if kind != "allocate" && items.isEmpty { input.fail("items", "must list the applications to \(kind ?? "decide on")") }
        try input.finish()
        guard let title, let kind else { throw Problem.internalError() }
        let decision = try context.write { tx -> Decision in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            try Permissions.requireOpen(network)
            let now = tx.now.rfc3339
            let decision = Decision(id: Identifier.make("dec", at: tx.now), networkId: network.id, title: title, kind: kind, roundRef: roundRef,
                                    amountPence: amount, items: items, rationale: rationale, method: nil, status: "open", outcome: nil,
                                    votes: nil, decidedAt: nil, createdAt: now, updatedAt: now, version: 1)
            try NetworkStore.saveDecision(tx, decision, isNew: true)
            try tx.audit("create", "network_decision", decision.id, changes: ["title", "kind", "round_ref", "amount_pence", "items", "rationale"])
            return decision
        }
        return .created(decision.json(participants: [], conflicts: []), location: "/v1/networks/\(decision.networkId)/decisions/\(decision.id)",
                        version: decision.version)
    }

    // MARK: - Votes and conflicts (priorities and decisions alike)

    enum Item: String {
        case priority, decision

        var parameter: String { rawValue }

        /// Open for votes: a proposed priority, an open decision.
        func open(_ db: Database, networkId: String, id: String) throws -> Bool {
            switch self {
            case .priority:
                guard let p = try NetworkStore.findPriority(db, networkId: networkId, id: id) else { throw Problem.notFound("No priority \(id).") }
                return p.status == "proposed"
            case .decision:
                guard let d = try NetworkStore.findDecision(db, networkId: networkId, id: id) else { throw Problem.notFound("No decision \(id).") }
                return d.status == "open"
            }
        }
    }

    /// `POST .../{item}/votes` with `{"member_id", "vote"}`: a manager records a member's vote, or
    /// a member group casts its own.
    static func vote(_ item: Item) -> Handler {
        { request, context in
            let input = try Input.object(from: request)
            let memberId = input.string("member_id", maxLength: 60)
            let vote = input.choice("vote", from: ["for", "against", "abstain"], required: true)
            try input.finish()
            guard let vote else { throw Problem.internalError() }
            let tally = try context.write { tx -> (for: Int, against: Int, abstain: Int) in
                let network = try Permissions.network(tx.db, id: request.parameter("id"))
                let itemId = request.parameter(item.parameter)
                guard try item.open(tx.db, networkId: network.id, id: itemId) else {
                    throw Problem.conflict("This \(item.rawValue) is not open for votes.")
                }
                let voter = try actingMember(tx.db, network: network, memberId: memberId, context: context)
                guard canVote(voter, rule: network.decisionRule) else {
                    throw Problem.invalid("member_id", network.decisionRule == "steering_group"
                        ? "only steering members and the chair vote in this network" : "observers do not vote")
                }
                guard try !NetworkStore.hasConflict(tx.db, itemType: item.rawValue, itemId: itemId, member: voter) else {
                    throw Problem.conflict("Member \(voter.id) declared a conflict of interest on this \(item.rawValue) and cannot vote on it.")
                }
                // Once per member: a group that left and rejoined is still the same voter.
                guard try !NetworkStore.hasVoted(tx.db, itemType: item.rawValue, itemId: itemId, member: voter) else {
                    throw Problem.conflict("Member \(voter.id) has already voted on this \(item.rawValue): each member votes once.")
                }
                try tx.db.run("INSERT INTO network_votes(item_type, item_id, member_id, vote, cast_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?)",
                              [item.rawValue, itemId, voter.id, vote, tx.now.rfc3339, context.principal?.keyId])
                try bumpVersion(tx, item, itemId)
                try tx.audit("vote", "network_\(item.rawValue)", itemId, changes: ["votes"])
                return try NetworkStore.tally(tx.db, itemType: item.rawValue, itemId: itemId, rule: network.decisionRule)
            }
            return .json(["for": .int(tally.for), "against": .int(tally.against), "abstain": .int(tally.abstain)], status: 201)
        }
    }

    /// `POST .../{item}/conflicts` with `{"member_id", "note"}`: a member declares a conflict of
    /// interest; any vote it cast on the item is withdrawn.
    static func declareConflict(_ item: Item) -> Handler {
        { request, context in
            let input = try Input.object(from: request)
            let memberId = input.string("member_id", maxLength: 60)
            let note = input.string("note", maxLength: 1000)
            try input.finish()
            let conflicts = try context.write { tx -> [JSON] in
                let network = try Permissions.network(tx.db, id: request.parameter("id"))
                let itemId = request.parameter(item.parameter)
                guard try item.open(tx.db, networkId: network.id, id: itemId) else {
                    throw Problem.conflict("This \(item.rawValue) is already decided.")
                }
                let member = try actingMember(tx.db, network: network, memberId: memberId, context: context)
                try tx.db.run("""
                    INSERT INTO network_conflicts(item_type, item_id, member_id, note, declared_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(item_type, item_id, member_id) DO UPDATE SET note = excluded.note
                    """, [item.rawValue, itemId, member.id, note, tx.now.rfc3339])
                let withdrawn = try tx.db.run("DELETE FROM network_votes WHERE item_type = ? AND item_id = ? AND member_id = ?",
                                              [item.rawValue, itemId, member.id])
                try bumpVersion(tx, item, itemId)
                try tx.audit("declare-conflict", "network_\(item.rawValue)", itemId, changes: withdrawn > 0 ? ["conflicts", "votes"] : ["conflicts"])
                return try NetworkStore.conflicts(tx.db, itemType: item.rawValue, itemId: itemId)
            }
            return .json(["conflicts": .array(conflicts)], status: 201)
        }
    }

    /// `POST .../{item}/decide`: a manager closes the item under the network's rule. With votes,
    /// the majority of votes cast decides (a tie is not a majority); a steering group without votes
    /// decides by consensus, giving `outcome` and `rationale`.
    static func decide(_ item: Item) -> Handler {
        { request, context in
            let input = try Input.optionalObject(from: request)
            let outcome = input.choice("outcome", from: item == .priority ? ["adopted", "dropped"] : ["agreed", "rejected"])
            let rationale = input.text("rationale", maxLength: 5000)
            let participants = input.strings("participants", maxCount: 100, maxLength: 60)
            try input.finish()
            let json = try context.write { tx -> JSON in
                let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
                let itemId = request.parameter(item.parameter)
                guard try item.open(tx.db, networkId: network.id, id: itemId) else { throw Problem.conflict("This \(item.rawValue) is already decided.") }
                try ETag.check(request, currentVersion: try currentVersion(tx.db, item, itemId))
                let tally = try NetworkStore.tally(tx.db, itemType: item.rawValue, itemId: itemId, rule: network.decisionRule)
                let cast = tally.for + tally.against + tally.abstain
                let passed: Bool
                var deciders: [String] = []
                if cast > 0 {
                    if outcome != nil { throw Problem.invalid("outcome", "comes from the votes cast; leave it out") }
                    if participants != nil { throw Problem.invalid("participants", "are the voters; leave it out") }
                    passed = tally.for > tally.against
                } else if network.decisionRule == "steering_group", let outcome {
                    guard rationale != nil else { throw Problem.invalid("rationale", "is required when the steering group decides without a vote") }
                    // Who took part: steering members and the chair, none with a declared conflict.
                    guard let participants, !participants.isEmpty else {
                        throw Problem.invalid("participants", "must name the steering members who decided")
                    }
                    for (i, id) in participants.enumerated() {
                        let member = try MemberRoutes.activeMember(tx.db, network: network, id: id, field: "participants[\(i)]")
                        guard canVote(member, rule: network.decisionRule) else { throw Problem.invalid("participants[\(i)]", "is not on the steering group") }
                        guard try !NetworkStore.hasConflict(tx.db, itemType: item.rawValue, itemId: itemId, member: member) else {
                            throw Problem.invalid("participants[\(i)]", "declared a conflict of interest on this \(item.rawValue)")
                        }
                    }
                    deciders = Array(Set(participants)).sorted()
                    passed = outcome == "adopted" || outcome == "agreed"
                } else {
                    throw Problem.conflict(network.decisionRule == "member_vote"
                        ? "No votes have been cast; this network decides by member vote."
                        : "No votes have been cast: record the steering group's outcome and rationale, or its votes.")
                }
                let votes: (for: Int, against: Int, abstain: Int)? = cast > 0 ? tally : nil
                let now = tx.now.rfc3339
                switch item {
                case .priority:
                    guard var priority = try NetworkStore.findPriority(tx.db, networkId: network.id, id: itemId) else { throw Problem.internalError() }
                    priority.status = passed ? "adopted" : "dropped"
                    priority.decidedAt = now
                    priority.decidedBy = network.decisionRule
                    priority.votes = votes
                    priority.decisionNote = rationale
                    priority.updatedAt = now
                    priority.version += 1
                    try NetworkStore.savePriority(tx, priority, isNew: false)
                    try tx.audit("decide", "network_priority", itemId, changes: ["status", "decision"])
                    return priority.json
                case .decision:
                    guard var decision = try NetworkStore.findDecision(tx.db, networkId: network.id, id: itemId) else { throw Problem.internalError() }
                    decision.status = "decided"
                    decision.outcome = passed ? "agreed" : "rejected"
                    decision.method = network.decisionRule
                    decision.votes = votes
                    decision.participants = deciders
                    if let rationale { decision.rationale = rationale }
                    decision.decidedAt = now
                    decision.updatedAt = now
                    decision.version += 1
                    try NetworkStore.saveDecision(tx, decision, isNew: false)
                    try tx.audit("decide", "network_decision", itemId, changes: ["status", "outcome", "votes"])
                    return try decisionJSON(tx.db, decision, memberView: true)
                }
            }
            return .json(json)
        }
    }

    /// Who the vote or declaration is for: a manager names the member; a member group acts for
    /// its own membership (and may name only that).
    static func actingMember(_ db: Database, network: Network, memberId: String?, context: RequestContext) throws -> Member {
        if try Permissions.canManage(context.principal, network, db: db) {
            guard let memberId else { throw Problem.invalid("member_id", "is required") }
            return try MemberRoutes.activeMember(db, network: network, id: memberId, field: "member_id")
        }
        guard let own = try Permissions.membership(context.principal, network, db: db) else {
            throw Problem.forbidden("Only this network's members and managers take part in its decisions.")
        }
        if let memberId, memberId != own.id { throw Problem.invalid("member_id", "must be your own membership") }
        return own
    }

    /// Votes, conflicts and links change an item: its version moves, so ETags stay true.
    static func bumpVersion(_ tx: Transaction, _ item: Item, _ id: String) throws {
        let table = item == .priority ? "network_priorities" : "network_decisions"
        try tx.db.run("UPDATE \(table) SET version = version + 1, updated_at = ? WHERE id = ?", [tx.now.rfc3339, id])
    }

    static func currentVersion(_ db: Database, _ item: Item, _ id: String) throws -> Int {
        let table = item == .priority ? "network_priorities" : "network_decisions"
        return try db.scalarInt("SELECT version FROM \(table) WHERE id = ?", [id]) ?? 0
    }

    static func canVote(_ member: Member, rule: String) -> Bool {
        rule == "steering_group" ? ["steering", "chair"].contains(member.role) : member.role != "observer"
    }
}
