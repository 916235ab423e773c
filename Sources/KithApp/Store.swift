import KithCore
import KithResources
import SQLiteStore

/// Opening Kith's database: one pool, migrated to the schema this binary embeds.
public enum KithStore {
    /// The migrator for `migrations/*.sql` as compiled into this binary.
    public static func migrator() throws -> Migrator {
        try Migrator(files: EmbeddedResources.migrations)
    }

    /// Opens (creating if missing) and migrates. Returns the pool and the migrations it applied.
    public static func open(_ configuration: AppConfiguration, clock: any WallClock = SystemClock()) throws
        -> (pool: DatabasePool, applied: [String]) {
        let pool = try DatabasePool(path: configuration.databasePath, configuration: configuration.database)
        do {
            let migrator = try migrator()
            let applied = try pool.withWriter { db in try migrator.migrate(db, now: clock.now().rfc3339) }
            return (pool, applied)
        } catch {
            pool.close()
            throw error
        }
    }

    /// Creates the first admin key when there are none; returns its secret (shown once).
    public static func bootstrapAdminKey(_ pool: DatabasePool, clock: any WallClock) throws -> String? {
        try pool.write { db in
            guard try APIKeys.count(db) == 0 else { return nil }
            let tx = Transaction(db: db, actor: .system, now: clock.now())
            return try APIKeys.create(tx, name: "first admin", role: .admin, scope: nil, expiresAt: nil, createdBy: nil).secret
        }
    }
}
