import Groups
import KithCore
import SQLiteStore

/// Membership: groups request to join and are approved, or are invited and accept; other members
/// (local leaders, businesses, public services, residents) are added by the network.
enum MemberRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "members", filters: ["status", "kind"], keyLength: 2)
        let kind = try request.query.oneOf("kind", Member.kinds)
        let requested = try request.query.oneOf("status", ["requested", "invited", "active", "declined", "left"])
        let after = try page.afterStrings()
        let (members, detail) = try context.read { db -> ([Member], Bool) in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let manager = try Permissions.canManage(context.principal, network, db: db)
            // Only the network's managers see requests, invitations and past members.
            if let requested, requested != "active", !manager {
                throw Problem.forbidden("Only this network's facilitators, officers and admins see \(requested) members.")
            }
            let members = try NetworkStore.members(db, networkId: network.id, status: requested ?? (manager ? nil : "active"),
                                                   kind: kind, updatedSince: page.updatedSince, after: after, limit: page.fetchLimit)
            return (members, manager)
        }
        let (items, next) = page.page(members) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map { $0.json(detail: detail) }, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            guard let member = try NetworkStore.findMember(db, networkId: network.id, id: request.parameter("member")) else {
                throw Problem.notFound("No member \(request.parameter("member")) in this network.")
            }
            let manager = try Permissions.canManage(context.principal, network, db: db)
            let own = isOwn(context.principal, member)
            guard manager || own || member.status == "active" else { throw Problem.notFound("No member \(member.id) in this network.") }
            return .resource(member.json(detail: manager || own), version: member.version)
        }
    }

    /// `POST /v1/networks/{id}/members`: a manager adds a member. A group is invited (it accepts
    /// with its own key); anyone else joins at once.
    @Sendable static func add(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let kind = input.choice("kind", from: Member.kinds, required: true)
        let groupId = input.string("group_id", maxLength: 60)
        let name = input.string("name", maxLength: 200)
        let serviceKind = input.choice("service_kind", from: Member.serviceKinds)
        let role = input.choice("role", from: Member.roles) ?? "member"
        let contact = input.object("contact")
        let contactName = contact?.string("name", maxLength: 120)
        let contactEmail = contact?.email("email")
        let contactPhone = contact?.phone("phone")
        if kind == "group" {
            if groupId == nil { input.fail("group_id", "is required for a group") }
            if name != nil { input.fail("name", "comes from the group's record") }
        } else if kind != nil {
            if groupId != nil { input.fail("group_id", "is only for members of kind group") }
            if name == nil { input.fail("name", "is required") }
        }
        if kind == "public_service" && serviceKind == nil { input.fail("service_kind", "is required for a public service") }
        if kind != "public_service" && serviceKind != nil { input.fail("service_kind", "is only for public services") }
        try input.finish()
        guard let kind else { throw Problem.internalError() }
        let member = try context.write { tx -> Member in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            try Permissions.requireOpen(network)
            var memberName = name ?? ""
            if let groupId {
                guard let group = try Directory.find(tx.db, id: groupId), group.status == "verified" else {
                    throw Problem.invalid("group_id", "is not a verified group")
                }
                guard group.councilId == network.councilId else { throw Problem.invalid("group_id", "is a group in another council") }
                if try NetworkStore.liveMembership(tx.db, networkId: network.id, groupId: groupId) != nil {
                    throw Problem.conflict("Group \(groupId) is already a member of this network, or has been invited or asked to join.")
                }
                memberName = group.name
            }
            let now = tx.now.rfc3339
            let member = Member(id: Identifier.make("mem", at: tx.now), networkId: network.id, kind: kind, groupId: groupId, name: memberName,
                                serviceKind: serviceKind, contactName: contactName, contactEmail: contactEmail, contactPhone: contactPhone,
                                role: role, status: kind == "group" ? "invited" : "active", requestedAt: nil,
                                invitedAt: kind == "group" ? now : nil, joinedAt: kind == "group" ? nil : now, leftAt: nil,
                                createdAt: now, updatedAt: now, version: 1)
            try NetworkStore.saveMember(tx, member, isNew: true)
            try tx.audit(kind == "group" ? "invite" : "create", "network_member", member.id, changes: ["kind", "name", "role", "status", "contact"])
            return member
        }
        return .created(member.json(detail: true), location: "/v1/networks/\(member.networkId)/members/\(member.id)", version: member.version)
    }

    /// `POST /v1/networks/{id}/join`: a group (with its own key) asks to join.
    @Sendable static func join(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.optionalObject(from: request)
        let contactName = input.object("contact")?.string("name", maxLength: 120)
        try input.finish()
        guard let scope = context.principal?.scope, scope.kind == .group else {
            throw Problem.forbidden("Only a group's own key (scope group:<id>) asks to join for that group.")
        }
        let member = try context.write { tx -> Member in
            let network = try Permissions.network(tx.db, id: request.parameter("id"))
            try Permissions.requireOpen(network)
            guard let group = try Directory.find(tx.db, id: scope.id), group.status == "verified" else {
                throw Problem.conflict("Only verified groups can join a network.")
            }
            guard group.councilId == network.councilId else { throw Problem.conflict("This network is in another council.") }
            if let existing = try NetworkStore.liveMembership(tx.db, networkId: network.id, groupId: group.id) {
                throw Problem.conflict("This group is already \(existing.status == "active" ? "a member" : existing.status) (\(existing.id)).")
            }
            let now = tx.now.rfc3339
            let member = Member(id: Identifier.make("mem", at: tx.now), networkId: network.id, kind: "group", groupId: group.id,
                                name: group.name, serviceKind: nil, contactName: contactName, contactEmail: nil, contactPhone: nil,
                                role: "member", status: "requested", requestedAt: now, invitedAt: nil, joinedAt: nil, leftAt: nil,
                                createdAt: now, updatedAt: now, version: 1)
            try NetworkStore.saveMember(tx, member, isNew: true)
            try tx.audit("request", "network_member", member.id, changes: ["status"])
            return member
        }
        return .created(member.json(detail: true), location: "/v1/networks/\(member.networkId)/members/\(member.id)", version: member.version)
    }

    enum Transition: String {
        case approve, accept, decline, leave
    }

    /// Membership state changes. Who may make each:
    /// - approve: a manager, for a request;
    /// - accept: the invited group's key;
    /// - decline: either side ends a request or an invitation (refused, withdrawn or cancelled);
    /// - leave: a manager, or the member group itself.
    /// A closed network takes no new members.
    static func transition(_ transition: Transition) -> Handler {
        { request, context in
            try Input.optionalObject(from: request).finish()
            let member = try context.write { tx -> Member in
                let network = try Permissions.network(tx.db, id: request.parameter("id"))
                guard let current = try NetworkStore.findMember(tx.db, networkId: network.id, id: request.parameter("member")) else {
                    throw Problem.notFound("No member \(request.parameter("member")) in this network.")
                }
                let manager = try Permissions.canManage(context.principal, network, db: tx.db)
                let own = isOwn(context.principal, current)
                guard manager || own else { throw Problem.forbidden("Only this network's managers or the member group itself may do that.") }
                try ETag.check(request, currentVersion: current.version)
                if transition == .approve || transition == .accept { try Permissions.requireOpen(network) }
                var member = current
                let now = tx.now.rfc3339
                switch (transition, current.status) {
                case (.approve, "requested") where manager:
                    member.status = "active"; member.joinedAt = now
                case (.accept, "invited") where own:
                    member.status = "active"; member.joinedAt = now
                case (.decline, "requested"), (.decline, "invited"):
                    member.status = "declined"
                case (.leave, "active"):
                    member.status = "left"; member.leftAt = now
                default:
                    let verb = [Transition.approve: "approved", .accept: "accepted", .decline: "declined", .leave: "left"][transition] ?? "changed"
                    throw Problem.conflict("This membership is \(current.status); it cannot be \(verb) by this key.")
                }
                member.updatedAt = now
                member.version += 1
                try NetworkStore.saveMember(tx, member, isNew: false)
                try tx.audit(transition.rawValue, "network_member", member.id, changes: ["status"])
                return member
            }
            return .resource(member.json(detail: true), version: member.version)
        }
    }

    /// `PATCH .../members/{member}`: a manager changes the role, name or contact.
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let role = input.choice("role", from: Member.roles)
        let name = input.string("name", maxLength: 200)
        let contact = input.object("contact")
        let contactName = contact?.string("name", maxLength: 120)
        let contactEmail = contact?.email("email")
        let contactPhone = contact?.phone("phone")
        try input.finish()
        let member = try context.write { tx -> Member in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            guard let current = try NetworkStore.findMember(tx.db, networkId: network.id, id: request.parameter("member")) else {
                throw Problem.notFound("No member \(request.parameter("member")) in this network.")
            }
            try ETag.check(request, currentVersion: current.version)
            if name != nil && current.kind == "group" { throw Problem.invalid("name", "comes from the group's record") }
            var member = current
            var changes: [String] = []
            if let role, role != current.role { member.role = role; changes.append("role") }
            if let name, name != current.name { member.name = name; changes.append("name") }
            if let contact {
                if contact.has("name") { member.contactName = contactName }
                if contact.has("email") { member.contactEmail = contactEmail }
                if contact.has("phone") { member.contactPhone = contactPhone }
                if member.contactName != current.contactName || member.contactEmail != current.contactEmail
                    || member.contactPhone != current.contactPhone { changes.append("contact") }
            }
            guard !changes.isEmpty else { return current }
            member.updatedAt = tx.now.rfc3339
            member.version += 1
            try NetworkStore.saveMember(tx, member, isNew: false)
            try tx.audit("update", "network_member", member.id, changes: changes)
            return member
        }
        return .resource(member.json(detail: true), version: member.version)
    }

    static func isOwn(_ principal: Principal?, _ member: Member) -> Bool {
        guard principal?.role == .group, let groupId = member.groupId else { return false }
        return principal?.scope == Scope(kind: .group, id: groupId)
    }

    /// An active member of the network, for votes, commitments and actions.
    static func activeMember(_ db: Database, network: Network, id: String, field: String) throws -> Member {
        guard let member = try NetworkStore.findMember(db, networkId: network.id, id: id), member.status == "active" else {
            throw Problem.invalid(field, "is not an active member of this network")
        }
        return member
    }
}
