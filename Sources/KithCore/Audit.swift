import SQLiteStore

/// Who made a change: a key (with its role), an anonymous caller, or the CLI (`system`).
public struct AuditActor: Sendable {
    public var keyId: String?
    public var role: String
    public var requestId: String?

    public init(keyId: String?, role: String, requestId: String?) {
        self.keyId = keyId
        self.role = role
        self.requestId = requestId
    }

    /// The command-line tool, run by someone with access to the server's files.
    public static let system = AuditActor(keyId: nil, role: "system", requestId: nil)
}

/// The append-only audit log (`audit_log`): every create, update and delete, with who did it.
/// It records field names, never values, so personal data is not copied into it.
public enum AuditLog {
    public static func record(_ db: Database, actor: AuditActor, at: Timestamp, action: String,
                              resourceType: String, resourceId: String, changes: [String]) throws {
        try db.run("""
            INSERT INTO audit_log(at, key_id, role, action, resource_type, resource_id, request_id, changes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [at.rfc3339, actor.keyId, actor.role, action, resourceType, resourceId, actor.requestId,
                  JSON(changes.sorted()).encodedString()])
    }

    public struct Entry: JSONRepresentable {
        public var seq: Int
        public var at: String
        public var keyId: String?
        public var role: String
        public var action: String
        public var resourceType: String
        public var resourceId: String
        public var requestId: String?
        public var changes: JSON

        public var json: JSON {
            ["id": .string(String(seq)), "at": .string(at), "key_id": JSON(keyId), "role": .string(role),
             "action": .string(action), "resource_type": .string(resourceType), "resource_id": .string(resourceId),
             "request_id": JSON(requestId), "changes": changes]
        }
    }

    public struct Filter {
        public var resourceType: String?
        public var resourceId: String?
        public var keyId: String?
        public var action: String?
        public var since: Timestamp?
        public var until: Timestamp?
        /// A scoped admin sees only what keys of its own scope did.
        public var scope: Scope?
        public init() {}
    }

    /// Newest first; `beforeSeq` continues from a cursor.
    public static func list(_ db: Database, filter: Filter, beforeSeq: Int?, limit: Int) throws -> [Entry] {
        try db.query("""
            SELECT seq, at, key_id, role, action, resource_type, resource_id, request_id, changes FROM audit_log
            WHERE (?1 IS NULL OR resource_type = ?1) AND (?2 IS NULL OR resource_id = ?2)
              AND (?3 IS NULL OR key_id = ?3) AND (?4 IS NULL OR action = ?4)
              AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) AND (?7 IS NULL OR seq < ?7)
              AND (?9 IS NULL OR key_id IN (SELECT id FROM api_keys WHERE scope = ?9))
            ORDER BY seq DESC LIMIT ?8
            """, [filter.resourceType, filter.resourceId, filter.keyId, filter.action,
                  filter.since?.rfc3339, filter.until?.rfc3339, beforeSeq, limit, filter.scope?.description]) { row in
            Entry(seq: row.int(0), at: row.string(1), keyId: row.optionalString(2), role: row.string(3),
                  action: row.string(4), resourceType: row.string(5), resourceId: row.string(6),
                  requestId: row.optionalString(7), changes: (try? JSON.parse(row.string(8))) ?? .array([]))
        }
    }
}
