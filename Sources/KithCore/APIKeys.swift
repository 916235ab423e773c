import SQLiteStore

/// API keys: random 256-bit secrets shown once, stored only as a SHA-256 hash, with a role, an
/// optional scope, an optional expiry, and revocation.
public enum APIKeys {
    /// Every key starts with this, so leaked keys are easy to recognise and grep for.
    public static let prefix = "kith_"

    public struct Record: JSONRepresentable, Sendable {
        public var id: String
        public var name: String
        public var role: Role
        public var scope: Scope?
        public var hint: String
        public var createdAt: String
        public var createdBy: String?
        public var expiresAt: String?
        public var revokedAt: String?
        public var updatedAt: String
        public var version: Int

        public func status(at now: Timestamp) -> String {
            if revokedAt != nil { return "revoked" }
            if let expiresAt, let expiry = Timestamp(rfc3339: expiresAt), expiry <= now { return "expired" }
            return "active"
        }

        public var json: JSON { json(at: nil) }

        public func json(at now: Timestamp?) -> JSON {
            var pairs: [(String, JSON)] = [
                ("id", .string(id)), ("name", .string(name)), ("role", .string(role.rawValue)),
                ("scope", JSON(scope?.description)), ("hint", .string(hint)),
                ("created_at", .string(createdAt)), ("created_by", JSON(createdBy)),
                ("expires_at", JSON(expiresAt)), ("revoked_at", JSON(revokedAt)),
            ]
            if let now { pairs.append(("status", .string(status(at: now)))) }
            pairs += [("updated_at", .string(updatedAt)), ("version", .int(version))]
            return .object(pairs)
        }
    }

    static let columns = "id, name, role, scope, hint, created_at, created_by, expires_at, revoked_at, updated_at, version"

    static func record(_ row: Row) -> Record {
        Record(id: row.string(0), name: row.string(1), role: Role(rawValue: row.string(2)) ?? .viewer,
               scope: row.optionalString(3).flatMap(Scope.init), hint: row.string(4), createdAt: row.string(5),
               createdBy: row.optionalString(6), expiresAt: row.optionalString(7), revokedAt: row.optionalString(8),
               updatedAt: row.string(9), version: row.int(10))
    }

    /// Creates a key; returns its record and the secret, which is never stored or shown again.
    public static func create(_ tx: Transaction, name: String, role: Role, scope: Scope?, expiresAt: Timestamp?,
                              createdBy: String?) throws -> (Record, secret: String) {
        let secret = Identifier.secret(prefix: prefix)
        let id = Identifier.make("key", at: tx.now)
        let hint = String(secret.prefix(prefix.count + 6))
        try tx.db.run("""
            INSERT INTO api_keys(id, name, role, scope, secret_hash, hint, created_at, created_by, expires_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, name, role.rawValue, scope?.description, Digest.sha256Hex(secret), hint, tx.now.rfc3339,
                  createdBy, expiresAt?.rfc3339, tx.now.rfc3339])
        try tx.audit("create", "api_key", id, changes: ["name", "role", "scope", "expires_at"])
        guard let record = try find(tx.db, id: id) else { throw StoreError("key \(id) vanished after insert") }
        return (record, secret)
    }

    public static func find(_ db: Database, id: String) throws -> Record? {
        try db.queryOne("SELECT \(columns) FROM api_keys WHERE id = ?", [id], record)
    }

    public struct Filter: Sendable {
        public var role: Role?
        /// `active`, `revoked` or `expired` (as of `now`).
        public var status: String?
        /// Only keys with exactly this scope (what a scoped admin may see).
        public var scope: Scope?
        public var updatedSince: Timestamp?
        public init() {}
    }

    /// Keys in creation order after a cursor, filtered.
    public static func list(_ db: Database, filter: Filter, now: Timestamp, after: [String]?, limit: Int) throws -> [Record] {
        try db.query("""
            SELECT \(columns) FROM api_keys
            WHERE (?1 IS NULL OR (created_at, id) > (?1, ?2))
              AND (?3 IS NULL OR role = ?3)
              AND (?4 IS NULL OR scope = ?4)
              AND (?5 IS NULL OR updated_at >= ?5)
              AND (?6 IS NULL
                   OR (?6 = 'revoked' AND revoked_at IS NOT NULL)
                   OR (?6 = 'expired' AND revoked_at IS NULL AND expires_at <= ?7)
                   OR (?6 = 'active' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?7)))
            ORDER BY created_at, id LIMIT ?8
            """, [after?.first, after?.last, filter.role?.rawValue, filter.scope?.description,
                  filter.updatedSince?.rfc3339, filter.status, now.rfc3339, limit], record)
    }

    public static func count(_ db: Database) throws -> Int {
        try db.scalarInt("SELECT count(*) FROM api_keys") ?? 0
    }

    /// Revokes a key; false if it was already revoked.
    public static func revoke(_ tx: Transaction, id: String) throws -> Bool {
        let changed = try tx.db.run("""
            UPDATE api_keys SET revoked_at = ?, updated_at = ?, version = version + 1
            WHERE id = ? AND revoked_at IS NULL
            """, [tx.now.rfc3339, tx.now.rfc3339, id])
        if changed > 0 { try tx.audit("revoke", "api_key", id, changes: ["revoked_at"]) }
        return changed > 0
    }

    public enum Verdict: Sendable {
        case valid(Principal, expiresAt: Timestamp?)
        case unknown, revoked, expired
    }

    /// Checks a presented key. The lookup is by hash, so no comparison of the secret itself
    /// leaks timing.
    public static func verify(_ db: Database, token: String, now: Timestamp) throws -> Verdict {
        guard token.hasPrefix(prefix), token.utf8.count <= 128 else { return .unknown }
        return try verify(db, hash: Digest.sha256Hex(token), now: now)
    }

    static func verify(_ db: Database, hash: String, now: Timestamp) throws -> Verdict {
        guard let record = try db.queryOne("SELECT \(columns) FROM api_keys WHERE secret_hash = ?", [hash], record) else {
            return .unknown
        }
        if record.revokedAt != nil { return .revoked }
        if let expiresAt = record.expiresAt, let expiry = Timestamp(rfc3339: expiresAt), expiry <= now { return .expired }
        return .valid(Principal(keyId: record.id, name: record.name, role: record.role, scope: record.scope),
                      expiresAt: record.expiresAt.flatMap(Timestamp.init(rfc3339:)))
    }
}
