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
