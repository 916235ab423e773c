import Areas
import KithCore
import SQLiteStore

/// Who may change a network and who may read its members-only content.
///
/// - Admins and officers change a network when their area scope covers all its areas.
/// - A facilitator key scoped `network:<id>` and appointed to that network (`PUT
///   .../facilitators`) changes it and its sub-networks, and no other: a facilitator of Leyton
///   cannot edit Chingford.
/// - A group key (`group:<id>`) whose group is an active member reads members-only content
///   (minutes, who attended, member contacts, votes) and acts for its own membership.
/// - Everyone sees the network, its public priorities, meetings (without minutes) and events.
enum Permissions {
    static func canManage(_ principal: Principal?, _ network: Network, db: Database) throws -> Bool {
        guard let principal else { return false }
        switch principal.role {
        case .admin, .officer:
            guard let scope = principal.scope else { return true }
            guard scope.kind == .area, !network.areas.isEmpty else { return false }
            return try network.areas.allSatisfy { try Areas.isWithin(db, areaId: $0, ancestorId: scope.id) }
        case .facilitator:
            guard let scope = principal.scope, scope.kind == .network,
                  try NetworkStore.lineage(db, id: network.id).contains(scope.id) else { return false }
            return try db.scalarInt("SELECT count(*) FROM network_facilitators WHERE network_id = ? AND key_id = ?",
                                    [scope.id, principal.keyId]) == 1
        default:
            return false
        }
    }

    /// The caller's active membership of the network, for group keys.
    static func membership(_ principal: Principal?, _ network: Network, db: Database) throws -> Member? {
        guard principal?.role == .group, let scope = principal?.scope, scope.kind == .group else { return nil }
        guard let member = try NetworkStore.liveMembership(db, networkId: network.id, groupId: scope.id), member.status == "active" else {
            return nil
        }
        return member
    }

    static func canReadMembersOnly(_ principal: Principal?, _ network: Network, db: Database) throws -> Bool {
        try canManage(principal, network, db: db) || membership(principal, network, db: db) != nil
    }

    /// Loads a network the caller may change: 404 if there is none, 403 if it may not.
    static func managed(_ db: Database, id: String, by principal: Principal?) throws -> Network {
        guard let network = try NetworkStore.findNetwork(db, id: id) else { throw Problem.notFound("No network \(id).") }
        guard try canManage(principal, network, db: db) else {
            throw Problem.forbidden("Only this network's facilitators, and council officers and admins, may change it.")
        }
        return network
    }

    /// The area a facilitator's work may touch: inside its network's areas. Officers and admins
    /// are checked against their own scope.
    static func checkArea(_ areaId: String, for principal: Principal?, network: Network?, db: Database, field: String) throws {
        if principal?.role == .facilitator {
            guard let network, try network.areas.contains(where: { try Areas.isWithin(db, areaId: areaId, ancestorId: $0) }) else {
                throw Problem.invalid(field, "must be inside the network's areas")
            }
        } else if try !Areas.scopeAllows(principal, areaId: areaId, db: db) {
            throw Problem.invalid(field, "is outside the areas this key may use")
        }
    }

    /// Refuses changes to a closed network.
    static func requireOpen(_ network: Network) throws {
        guard network.status != "closed" else { throw Problem.conflict("Network \(network.id) is closed.") }
    }

    static func network(_ db: Database, id: String) throws -> Network {
        guard let network = try NetworkStore.findNetwork(db, id: id) else { throw Problem.notFound("No network \(id).") }
        return network
    }
}
