import SQLiteStore

/// Settings the pipeline and modules read (from `kith serve` flags and environment).
public struct Settings: Sendable {
    /// Origins allowed to call from a browser; `*` allows any origin (no credentials either way).
    public var corsOrigins: [String] = []
    public var rateLimits = RateLimitSettings()
    /// Reverse proxies whose `X-Forwarded-For` is believed: the client address (for per-client
    /// rate limits) is then the last address the proxy appended.
    public var trustedProxies: Set<String> = []
    /// How long a verified key is remembered (see `KeyCache`); 0 turns the cache off.
    public var keyCacheSeconds: Int64 = 5
    /// How long a stored idempotent response is replayed.
    public var idempotencyRetentionSeconds: Int64 = 24 * 3600
    /// The 360Giving identifier prefix grants are published under (registered with 360Giving).
    public var grantIdentifierPrefix = "360G-kith"

    public init() {}
}

/// What every request can reach: the database, the clock, settings and shared counters.
public final class Services: Sendable {
    public let database: DatabasePool
    public let clock: any WallClock
    public let settings: Settings
    public let metrics: Metrics
    public let rateLimiter: RateLimiter
    public let keyCache: KeyCache

    public init(database: DatabasePool, clock: any WallClock, settings: Settings) {
        self.database = database
        self.clock = clock
        self.settings = settings
        self.metrics = Metrics(database: database)
        self.rateLimiter = RateLimiter(settings: settings.rateLimits)
        self.keyCache = KeyCache(ttlSeconds: settings.keyCacheSeconds)
    }
}

/// Everything a handler knows about the request beyond its message: who is calling, the request
/// id, the time, and the way to the database.
public struct RequestContext {
    public let requestId: String
    public let principal: Principal?
    public let services: Services
    /// One reading of the clock per request, so every row a request writes has the same time.
    public let now: Timestamp
    /// Set when the pipeline already holds the write transaction (idempotent POSTs): reads and
    /// writes then run inside it, so the stored response commits together with the change.
    let activeTransaction: Database?

    public init(requestId: String, principal: Principal?, services: Services, now: Timestamp) {
        self.init(requestId: requestId, principal: principal, services: services, now: now, activeTransaction: nil)
    }

    init(requestId: String, principal: Principal?, services: Services, now: Timestamp, activeTransaction: Database?) {
        self.requestId = requestId
        self.principal = principal
        self.services = services
        self.now = now
        self.activeTransaction = activeTransaction
    }

    public var role: Role? { principal?.role }

    /// Runs `body` on a reader connection in one consistent snapshot.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let db = activeTransaction { return try body(db) }
        return try services.database.read(body)
    }

    /// Runs `body` in a write transaction; everything it does, audit rows included, commits
    /// together or not at all.
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        if let db = activeTransaction { return try db.savepoint { try body(Transaction(db: db, actor: actor, now: now)) } }
        return try services.database.write { db in try body(Transaction(db: db, actor: actor, now: now)) }
    }

    /// After a bulk load: refresh the planner's statistics (see `Database.refreshStatistics`).
    /// Skipped inside an idempotent request's transaction, which holds the writer; the hourly
    /// housekeeping catches up.
    public func refreshStatistics() throws {
        guard activeTransaction == nil else { return }
        try services.database.withWriter { $0.refreshStatistics() }
    }

    /// Who the audit log names for this request.
    public var actor: AuditActor {
        AuditActor(keyId: principal?.keyId, role: principal?.role.rawValue ?? "anonymous", requestId: requestId)
    }
}

/// A write in progress: the connection plus who is writing, for the audit log.
public struct Transaction {
    public let db: Database
    public let actor: AuditActor
    public let now: Timestamp

    public init(db: Database, actor: AuditActor, now: Timestamp) {
        self.db = db
        self.actor = actor
        self.now = now
    }

    /// Records a change in the audit log, in this transaction.
    public func audit(_ action: String, _ resourceType: String, _ resourceId: String, changes: [String] = []) throws {
        try AuditLog.record(db, actor: actor, at: now, action: action, resourceType: resourceType,
                            resourceId: resourceId, changes: changes)
    }
}
