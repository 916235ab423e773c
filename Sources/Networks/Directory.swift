import KithCore
import SQLiteStore

/// What other modules read of networks (Funding: endorsements, priorities served, assessors'
/// conflicts).
public enum NetworkDirectory {
    public static func exists(_ db: Database, id: String) throws -> Bool { try NetworkStore.findNetwork(db, id: id) != nil }

    public static func name(_ db: Database, id: String) throws -> String? { try NetworkStore.findNetwork(db, id: id)?.name }

    /// The network's adopted priorities, in the order they were decided.
    public static func adoptedPriorities(_ db: Database, networkId: String) throws -> [(id: String, title: String)] {
        try db.query("""
            SELECT id, title FROM network_priorities WHERE network_id = ? AND status = 'adopted' ORDER BY decided_at, id
            """, [networkId]) { (id: $0.string(0), title: $0.string(1)) }
    }

    /// The network a priority belongs to and whether it is adopted.
    public static func priority(_ db: Database, id: String) throws -> (networkId: String, adopted: Bool)? {
        try db.queryOne("SELECT network_id, status = 'adopted' FROM network_priorities WHERE id = ?", [id]) {
            (networkId: $0.string(0), adopted: $0.bool(1))
        }
    }

    /// Contact emails (lowercased) of the network's active steering members and chair.
    public static func steeringEmails(_ db: Database, networkId: String) throws -> [String] {
        try db.query("""
            SELECT lower(contact_email) FROM network_members
            WHERE network_id = ? AND status = 'active' AND role IN ('steering', 'chair') AND contact_email IS NOT NULL
            """, [networkId]) { $0.string(0) }
    }

    /// May this key act for the network (its appointed facilitators, or staff whose scope covers it)?
    public static func actsFor(_ principal: Principal?, networkId: String, db: Database) throws -> Bool {
        guard let network = try NetworkStore.findNetwork(db, id: networkId) else { return false }
        return try Permissions.canManage(principal, network, db: db)
    }
}

/// Who took part in the Community Networks as individuals (residents and local leaders, known by
/// name only, so counted by membership), by the month they joined, in the network's first area.
public struct NetworkEngagement: EngagementSource {
    public let name = "networks"
    public init() {}

    public func engagements(_ db: Database, from: String, to: String) throws -> [Engagement] {
        try db.query("""
            SELECT m.id, (SELECT area_id FROM network_areas a WHERE a.network_id = m.network_id ORDER BY a.area_id LIMIT 1),
                   substr(coalesce(m.joined_at, m.created_at), 1, 7)
            FROM network_members m
            WHERE m.kind IN ('resident', 'local_leader') AND m.status IN ('active', 'left')
              AND substr(coalesce(m.joined_at, m.created_at), 1, 7) BETWEEN ?1 AND ?2
            """, [from, to]) {
            Engagement(who: "member:" + $0.string(0), isPerson: false, areaId: $0.optionalString(1), month: $0.string(2), activity: "network_membership")
        }
    }
}

extension NetworkDirectory {
    /// Active networks covering any area inside `areaPath`, with their adopted priorities.
    public static func networks(_ db: Database, areaPath: String) throws -> [(id: String, name: String, priorities: [String])] {
        let networks = try db.query("""
            SELECT DISTINCT n.id, n.name FROM networks n JOIN network_areas na ON na.network_id = n.id JOIN areas a ON a.id = na.area_id
            WHERE n.status = 'active' AND substr(a.path, 1, length(?1)) = ?1 ORDER BY n.name, n.id
            """, [areaPath]) { (id: $0.string(0), name: $0.string(1)) }
        return try networks.map { network in
            (id: network.id, name: network.name, priorities: try adoptedPriorities(db, networkId: network.id).map(\.title))
        }
    }
}
