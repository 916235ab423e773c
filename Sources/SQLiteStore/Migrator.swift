import CCrypto

/// One numbered schema change: `NNNN_name.sql`.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
    /// SHA-256 of the file, hex. An applied migration whose file changes is refused.
    public var checksum: String

    public init(name: String, sql: String) throws {
        let digits = name.prefix { $0.isNumber }
        guard digits.count >= 4, let version = Int(digits), version > 0, name.hasSuffix(".sql") else {
            throw StoreError("migration file \(name) must be named NNNN_description.sql")
        }
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Self.sha256Hex(Array(sql.utf8))
    }

    /// A migration marked `-- kith: foreign_keys off` rebuilds tables: it runs with foreign keys
    /// off and must leave `foreign_key_check` clean before it commits.
    var needsForeignKeysOff: Bool { sql.contains("-- kith: foreign_keys off") }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA256(input.baseAddress, input.count, out.baseAddress)
            }
        }
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Applies migrations in order, each in its own `BEGIN IMMEDIATE` transaction together with its
/// record in `schema_migrations`, and refuses to run against a database whose applied history
/// does not match the files (an edited migration, or a database from a newer Kith).
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(files: [(name: String, sql: String)]) throws {
        let migrations = try files.map { try Migration(name: $0.name, sql: $0.sql) }.sorted { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw StoreError("two migrations share version \(a.version): \(a.name) and \(b.name)")
        }
        self.migrations = migrations
    }

    public struct Applied: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var checksum: String
        public var appliedAt: String
    }

    /// What the database says it has applied.
    public func applied(in db: Database) throws -> [Applied] {
        try ensureTable(db)
        return try db.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") {
            Applied(version: $0.int(0), name: $0.string(1), checksum: $0.string(2), appliedAt: $0.string(3))
        }
    }

    /// Applies what is pending; returns the names applied. `now` is an RFC 3339 timestamp.
    @discardableResult
    public func migrate(_ db: Database, now: String) throws -> [String] {
        let done = try applied(in: db)
        try verify(done)
        let doneVersions = Set(done.map(\.version))
        var appliedNow: [String] = []
        for migration in migrations where !doneVersions.contains(migration.version) {
            try apply(migration, db: db, now: now)
            appliedNow.append(migration.name)
        }
        return appliedNow
    }

    /// Throws unless every applied migration is known and unchanged.
    public func verify(_ done: [Applied]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in done {
            guard let migration = known[record.version] else {
                throw StoreError("the database has migration \(record.name) applied, which this version of Kith does not know; it was written by a newer Kith")
            }
            guard migration.checksum == record.checksum else {
                throw StoreError("migration \(migration.name) was edited after it was applied (checksum \(record.checksum.prefix(12)) in the database, \(migration.checksum.prefix(12)) in the file); restore the file and put the change in a new migration")
            }
        }
    }

    private func apply(_ migration: Migration, db: Database, now: String) throws {
        let foreignKeysOff = migration.needsForeignKeysOff
        if foreignKeysOff { try db.execute("PRAGMA foreign_keys = OFF") }
        defer { if foreignKeysOff { try? db.execute("PRAGMA foreign_keys = ON") } }
        do {
            try db.transaction(.immediate) {
                try db.execute(migration.sql)
                if foreignKeysOff {
                    let violations = try db.query("PRAGMA foreign_key_check") { $0.string(0) }
                    if !violations.isEmpty {
                        throw StoreError("migration \(migration.name) leaves foreign key violations in \(Set(violations).sorted().joined(separator: ", "))")
                    }
                }
                try db.run("INSERT INTO schema_migrations(version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                           [migration.version, migration.name, migration.checksum, now])
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        } catch let error as SQLiteError {
            throw StoreError("migration \(migration.name) failed: \(error.message)")
        }
    }

    private func ensureTable(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL
            ) STRICT
            """)
    }
}
