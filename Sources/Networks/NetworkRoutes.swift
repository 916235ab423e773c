import Areas
import KithCore
import SQLiteStore

/// Networks themselves: create, read, change, and who facilitates them.
enum NetworkRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "networks", filters: ["area", "status"], keyLength: 2)
        let status = try request.query.oneOf("status", Network.statuses)
        let after = try page.afterStrings()
        let networks = try context.read { db -> [(Network, Bool)] in
            var path: String?
            if let area = request.query.string("area") {
                guard let found = try Areas.subtreePath(db, id: area) else { throw Problem.invalid("area", "is not an area") }
                path = found
            }
            return try NetworkStore.listNetworks(db, areaPath: path, status: status, updatedSince: page.updatedSince, after: after,
                                                 limit: page.fetchLimit).map {
                ($0, try Permissions.canManage(context.principal, $0, db: db))
            }
        }
        let (items, next) = page.page(networks) { [.string($0.0.name), .string($0.0.id)] }
        return .page(items.map { $0.0.json(staff: $0.1) }, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            return .resource(network.json(staff: try Permissions.canManage(context.principal, network, db: db)), version: network.version)
        }
    }

    /// `POST /v1/networks` (officers and admins; a facilitator may add a sub-network of its own).
    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 200)
        let description = input.text("description") ?? ""
        let parentId = input.string("parent_id", maxLength: 60)
        let areas = input.strings("areas", required: true, maxCount: 20, maxLength: 60)
        if areas?.isEmpty == true { input.fail("areas", "must name at least one area") }
        let status = input.choice("status", from: Network.statuses) ?? "forming"
        let rule = input.choice("decision_rule", from: Network.decisionRules) ?? "member_vote"
        let details = NetworkDetails.read(input)
        try input.finish()
        guard let name, let areas else { throw Problem.internalError() }
        let network = try context.write { tx -> Network in
            let council = try checkAreas(tx.db, areas, principal: context.principal)
            if let parentId {
                guard let parent = try NetworkStore.findNetwork(tx.db, id: parentId) else { throw Problem.invalid("parent_id", "is not a network") }
                guard try Permissions.canManage(context.principal, parent, db: tx.db) else {
                    throw Problem.forbidden("Only the parent network's facilitators, officers and admins may add a sub-network to it.")
                }
                try checkInside(areas, parent: parent, db: tx.db)
            } else if context.principal?.role == .facilitator {
                throw Problem.forbidden("A facilitator may add sub-networks of its own network only; set parent_id.")
            }
            var network = Network(id: Identifier.make("net", at: tx.now), name: name, description: description, parentId: parentId,
                                  councilId: council, areas: areas.sorted(), status: status, termsOfReference: nil, contactEmail: nil,
                                  contactPhone: nil, meetingPattern: nil, decisionRule: rule, facilitators: [],
                                  createdAt: tx.now.rfc3339, updatedAt: tx.now.rfc3339, version: 1)
            details.apply(to: &network)
            try NetworkStore.saveNetwork(tx, network, isNew: true)
            try tx.audit("create", "network", network.id, changes: ["name", "areas", "status", "decision_rule"] + details.fields)
            return network
        }
        return .created(network.json(staff: true), location: "/v1/networks/\(network.id)", version: network.version)
    }

    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", maxLength: 200)
        let description = input.text("description")
        let areas = input.strings("areas", maxCount: 20, maxLength: 60)
        if areas?.isEmpty == true { input.fail("areas", "must name at least one area") }
        let status = input.choice("status", from: Network.statuses)
        let rule = input.choice("decision_rule", from: Network.decisionRules)
        for field in ["name", "areas", "status", "decision_rule"] where input.isNull(field) { input.fail(field, "must not be null") }
        let details = NetworkDetails.read(input)
        try input.finish()
        let network = try context.write { tx -> Network in
            let current = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            try ETag.check(request, currentVersion: current.version)
            var network = current
            if let name { network.name = name }
            if let description { network.description = description }
            if let areas {
                guard context.principal?.role != .facilitator else {
                    throw Problem.forbidden("A network's areas are set by council officers and admins.")
                }
                guard try checkAreas(tx.db, areas, principal: context.principal) == current.councilId else {
                    throw Problem.invalid("areas", "must stay in the network's council")
                }
                if let parentId = current.parentId, let parent = try NetworkStore.findNetwork(tx.db, id: parentId) {
                    try checkInside(areas, parent: parent, db: tx.db)
                }
                network.areas = areas.sorted()
            }
            if let status { network.status = status }
            if let rule, rule != current.decisionRule {
                // Votes cast under one rule are never counted under another.
                let open = try tx.db.scalarInt("""
                    SELECT (SELECT count(*) FROM network_priorities WHERE network_id = ?1 AND status = 'proposed')
                         + (SELECT count(*) FROM network_decisions WHERE network_id = ?1 AND status = 'open')
                    """, [current.id]) ?? 0
                guard open == 0 else { throw Problem.conflict("Decide or withdraw the \(open) open item(s) before changing the decision rule.") }
                network.decisionRule = rule
            }
            details.apply(to: &network)
            var changes: [String] = []
            if network.name != current.name { changes.append("name") }
            if network.description != current.description { changes.append("description") }
            if network.areas != current.areas { changes.append("areas") }
            if network.status != current.status { changes.append("status") }
            if network.decisionRule != current.decisionRule { changes.append("decision_rule") }
            if network.termsOfReference != current.termsOfReference { changes.append("terms_of_reference") }
            if network.contactEmail != current.contactEmail || network.contactPhone != current.contactPhone { changes.append("contact") }
            if network.meetingPattern != current.meetingPattern { changes.append("meeting_pattern") }
            guard !changes.isEmpty else { return current }
            network.updatedAt = tx.now.rfc3339
            network.version += 1
            try NetworkStore.saveNetwork(tx, network, isNew: false)
            try tx.audit("update", "network", network.id, changes: changes)
            return network
        }
        return .resource(network.json(staff: true), version: network.version)
    }

    /// `PUT /v1/networks/{id}/facilitators` with `{"lead": key_id, "deputies": [key_id]}`: officers
    /// and admins name the facilitator keys (role facilitator, scoped to this network).
    @Sendable static func setFacilitators(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let lead = input.string("lead", maxLength: 60)
        let deputies = input.strings("deputies", maxCount: 10, maxLength: 60) ?? []
        try input.finish()
        guard context.principal?.role == .admin || context.principal?.role == .officer else {
            throw Problem.forbidden("Council officers and admins appoint facilitators.")
        }
        let network = try context.write { tx -> Network in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            try ETag.check(request, currentVersion: network.version)
            let keys = (lead.map { [$0] } ?? []) + deputies
            guard Set(keys).count == keys.count else { throw Problem.invalid("deputies", "must not repeat the lead or each other") }
            for (index, keyId) in keys.enumerated() {
                let field = index == 0 && lead != nil ? "lead" : "deputies[\(index - (lead == nil ? 0 : 1))]"
                guard let key = try APIKeys.find(tx.db, id: keyId), key.revokedAt == nil else { throw Problem.invalid(field, "is not an active key") }
                guard key.role == .facilitator, key.scope == Scope(kind: .network, id: network.id) else {
                    throw Problem.invalid(field, "must be a facilitator key scoped to network:\(network.id)")
                }
            }
            // Someone keeping their role keeps the date they took it on.
            var since: [String: (role: String, since: String)] = [:]
            try tx.db.forEach("SELECT key_id, role, since FROM network_facilitators WHERE network_id = ?", [network.id]) {
                since[$0.string(0)] = (role: $0.string(1), since: $0.string(2))
            }
            try tx.db.run("DELETE FROM network_facilitators WHERE network_id = ?", [network.id])
            for keyId in keys {
                let role = keyId == lead ? "lead" : "deputy"
                let from = since[keyId].flatMap { $0.role == role ? $0.since : nil } ?? tx.now.rfc3339
                try tx.db.run("INSERT INTO network_facilitators(network_id, key_id, role, since) VALUES (?, ?, ?, ?)",
                              [network.id, keyId, role, from])
            }
            try tx.db.run("UPDATE networks SET version = version + 1, updated_at = ? WHERE id = ?", [tx.now.rfc3339, network.id])
            try tx.audit("update", "network", network.id, changes: ["facilitators"])
            return try NetworkStore.findNetwork(tx.db, id: network.id) ?? network
        }
        return .resource(network.json(staff: true), version: network.version)
    }

    /// A sub-network works inside its parent's areas.
    static func checkInside(_ areas: [String], parent: Network, db: Database) throws {
        for (i, area) in areas.enumerated() where try !parent.areas.contains(where: { try Areas.isWithin(db, areaId: area, ancestorId: $0) }) {
            throw Problem.invalid("areas[\(i)]", "must be inside the parent network's areas")
        }
    }

    /// The areas must exist, lie in one council, and be inside the caller's area scope.
    static func checkAreas(_ db: Database, _ ids: [String], principal: Principal?) throws -> String {
        var council: String?
        for (i, id) in ids.enumerated() {
            guard let area = try Areas.find(db, id: id) else { throw Problem.invalid("areas[\(i)]", "is not an area: \(id)") }
            if let council, council != area.councilId { throw Problem.invalid("areas[\(i)]", "must be in the same council as the others") }
            council = area.councilId
            if principal?.scope?.kind == .area, try !Areas.scopeAllows(principal, areaId: area.id, db: db) {
                throw Problem.invalid("areas[\(i)]", "is outside the areas this key may use")
            }
        }
        guard let council else { throw Problem.invalid("areas", "must name at least one area") }
        return council
    }
}

/// The optional descriptive fields of a network, read the same way on create and update.
struct NetworkDetails {
    var termsOfReference: String??
    var contactEmail: String??
    var contactPhone: String??
    var meetingPattern: String??
    var fields: [String] = []

    static func read(_ input: Input) -> NetworkDetails {
        var details = NetworkDetails()
        func optional(_ key: String, _ value: String?) -> String?? {
            if input.isNull(key) { return .some(nil) }
            return value.map { .some($0) }
        }
        details.termsOfReference = optional("terms_of_reference", input.text("terms_of_reference", maxLength: 20_000))
        details.meetingPattern = optional("meeting_pattern", input.string("meeting_pattern", maxLength: 300))
        if let contact = input.object("contact") {
            let email = contact.email("email")
            let phone = contact.phone("phone")
            details.contactEmail = contact.isNull("email") ? .some(nil) : email.map { .some($0) }
            details.contactPhone = contact.isNull("phone") ? .some(nil) : phone.map { .some($0) }
        }
        if details.termsOfReference != nil { details.fields.append("terms_of_reference") }
        if details.meetingPattern != nil { details.fields.append("meeting_pattern") }
        if details.contactEmail != nil || details.contactPhone != nil { details.fields.append("contact") }
        return details
    }

    func apply(to network: inout Network) {
        if let termsOfReference { network.termsOfReference = termsOfReference }
        if let meetingPattern { network.meetingPattern = meetingPattern }
        if let contactEmail { network.contactEmail = contactEmail }
        if let contactPhone { network.contactPhone = contactPhone }
    }
}
