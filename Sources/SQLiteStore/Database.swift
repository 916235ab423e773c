import CSQLite
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// How every connection is set up.
public struct DatabaseConfiguration: Sendable {
    /// `NORMAL` (default): in WAL mode a committed transaction survives a crash or `kill -9` of
    /// the process; a power loss or kernel crash may roll back the last few commits, but never
    /// corrupts the file. `FULL` also fsyncs the WAL on every commit (survives power loss, slower).
    public enum Synchronous: String, Sendable { case normal = "NORMAL", full = "FULL" }

    public var synchronous = Synchronous.normal
    /// How long a connection waits for a lock held by another process before giving up.
    public var busyTimeoutMilliseconds = 5_000
    /// Reader connections in the pool.
    public var readers = 4

    public init() {}
}

/// Counts the times a connection had to wait for a lock (`kith_db_busy_retries_total`).
public final class BusyCounter: Sendable {
    private let value = Atomic<Int>(0)
    let timeoutMilliseconds: Int
    public init(timeoutMilliseconds: Int) { self.timeoutMilliseconds = timeoutMilliseconds }
    public var retries: Int { value.load(ordering: .relaxed) }
    func increment() { value.wrappingAdd(1, ordering: .relaxed) }
}

/// One SQLite connection. Not thread-safe by design: a `Database` is used by one thread at a time
/// (the pool hands it out under a lock), which is why the connection is opened `NOMUTEX`.
public final class Database {
    public let path: String
    let handle: OpaquePointer
    private var statements: [String: Statement] = [:]
    /// Statements beyond this many are evicted least-recently-used first (search builds SQL from
    /// the filters present, so the set of shapes is large but the hot ones are few).
    private let statementCacheCapacity = 256
    private var useTick: UInt64 = 0
    private let busy: BusyCounter
    private var savepointDepth = 0

    public enum Mode: Sendable { case readWrite, readOnly }

    public init(path: String, mode: Mode = .readWrite, configuration: DatabaseConfiguration = DatabaseConfiguration(),
                busy: BusyCounter? = nil) throws {
        self.path = path
        self.busy = busy ?? BusyCounter(timeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(extendedCode: rc, message: "\(message): \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        installBusyHandler()
        do {
            try configure(mode: mode, configuration: configuration)
        } catch {
            sqlite3_close_v2(db)
            throw error
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    private func configure(mode: Mode, configuration: DatabaseConfiguration) throws {
        if mode == .readWrite {
            let journal = try queryOne("PRAGMA journal_mode = WAL") { $0.string(0) }
            guard journal?.lowercased() == "wal" else {
                throw StoreError("could not put \(path) in WAL mode (got \(journal ?? "nothing"))")
            }
        }
        try execute("""
            PRAGMA synchronous = \(configuration.synchronous.rawValue);
            PRAGMA foreign_keys = ON;
            PRAGMA temp_store = MEMORY;
            PRAGMA journal_size_limit = 67108864;
            PRAGMA cache_size = -16000;
            """)
        if mode == .readOnly { try execute("PRAGMA query_only = ON") }
    }

    /// Counts each wait and sleeps with a short backoff, up to the configured timeout.
    private func installBusyHandler() {
        let context = Unmanaged.passUnretained(busy).toOpaque()
        sqlite3_busy_handler(handle, { context, attempt in
            guard let context else { return 0 }
            let counter = Unmanaged<BusyCounter>.fromOpaque(context).takeUnretainedValue()
            let delayMs = min(1 + Int(attempt) * 2, 25)
            // Roughly the total waited so far: sum of the delays before this attempt.
            let waited = (0..<Int(attempt)).reduce(0) { $0 + min(1 + $1 * 2, 25) }
            if waited >= counter.timeoutMilliseconds { return 0 }
            counter.increment()
            usleep(UInt32(delayMs * 1000))
            return 1
        }, context)
    }

    // MARK: - Running SQL

    /// Runs a script of statements without parameters (migrations, pragmas).
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(error)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Runs one statement with bound parameters; returns the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and maps each row.
    public func query<T>(_ sql: String, _ arguments: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> [T] {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        var results: [T] = []
        let row = Row(statement: statement)
        while try statement.step() { results.append(try map(row)) }
        return results
    }

    /// Runs a query and visits each row without collecting (streaming exports).
    public func forEach(_ sql: String, _ arguments: [any SQLBindable] = [], _ visit: (Row) throws -> Void) throws {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        let row = Row(statement: statement)
        while try statement.step() { try visit(row) }
    }

    /// The first row of a query, mapped, or nil.
    public func queryOne<T>(_ sql: String, _ arguments: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> T? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return try map(Row(statement: statement))
    }

    /// The integer in the first column of the first row (counts, existence checks).
    public func scalarInt(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int? {
        try queryOne(sql, arguments) { $0.isNull(0) ? nil : $0.int(0) } ?? nil
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: - Transactions

    public enum TransactionKind: String, Sendable { case deferred = "DEFERRED", immediate = "IMMEDIATE" }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    /// Inside an open transaction it nests as a savepoint.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        // Literal SQL, not interpolated: no string is built per transaction (every read takes one).
        try run(kind == .deferred ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if isInTransaction { _ = try? run("ROLLBACK") }
            throw error
        }
    }

    /// A nested unit of work inside a transaction: rolled back alone if `body` throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        let name = "kith_sp\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE \(name)")
            return result
        } catch {
            try? execute("ROLLBACK TO \(name); RELEASE \(name)")
            throw error
        }
    }

    // MARK: - Statements

    func cachedStatement(_ sql: String) throws -> Statement {
        useTick &+= 1
        if let statement = statements[sql] {
            statement.lastUsed = useTick
            return statement
        }
        if statements.count >= statementCacheCapacity {
            let oldest = statements.values.sorted { $0.lastUsed < $1.lastUsed }.prefix(statementCacheCapacity / 4)
            for statement in oldest { statements[statement.sql] = nil }
        }
        let statement = try Statement(database: self, sql: sql)
        statement.lastUsed = useTick
        statements[sql] = statement
        return statement
    }

    /// Prepared statements held right now (for tests).
    public var cachedStatementCount: Int { statements.count }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(extendedCode: sqlite3_extended_errcode(handle) == 0 ? rc : sqlite3_extended_errcode(handle),
                    message: lastErrorMessage, sql: sql)
    }

    // MARK: - Maintenance

    /// `PRAGMA integrity_check` then `foreign_key_check`: empty when the file is sound.
    public func check() throws -> [String] {
        var problems = try query("PRAGMA integrity_check") { $0.string(0) }.filter { $0 != "ok" }
        problems += try query("PRAGMA foreign_key_check") { row in
            "foreign key violation: \(row.string(0)) row \(row.isNull(1) ? "?" : String(row.int(1))) refers to missing \(row.string(2))"
        }
        return problems
    }

    /// Copies the database to `destination` with the online backup API, all pages in one step:
    /// one read transaction, so the copy is a single consistent snapshot. In WAL mode a reader
    /// does not block writers, and copying a few pages at a time would be worse: every commit by
    /// another connection restarts the copy, so under steady writes it might never finish.
    public func backup(to destination: String) throws {
        let target = try Database(path: destination)
        let backup = sqlite3_backup_init(target.handle, "main", handle, "main")
        guard let backup else { throw target.error(sqlite3_errcode(target.handle), sql: nil) }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { usleep(20_000) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE else { throw SQLiteError(extendedCode: rc, message: "backup failed", sql: nil) }
    }

    /// Gathers statistics for the planner and folds the WAL into the file; called before close.
    public func optimize() {
        refreshStatistics()
        try? execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Updates the planner's statistics where SQLite thinks they would change a plan (a bounded
    /// sample per index, so cheap). Without them a freshly loaded database plans its searches
    /// blind until the next restart.
    public func refreshStatistics() {
        try? execute("PRAGMA analysis_limit = 400; PRAGMA optimize;")
    }
}

/// A prepared statement, cached per connection by its SQL text.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    var lastUsed: UInt64 = 0
    private unowned let database: Database
    private(set) lazy var columnIndex: [String: Int32] = {
        var map: [String: Int32] = [:]
        for i in 0..<sqlite3_column_count(handle) {
            map[String(cString: sqlite3_column_name(handle, i))] = i
        }
        return map
    }()

    init(database: Database, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw database.error(rc, sql: sql) }
        self.handle = statement
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ arguments: [any SQLBindable]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == arguments.count else {
            throw StoreError("statement expects \(expected) parameters, got \(arguments.count): \(sql.prefix(120))")
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch argument.sqlValue {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let value): rc = sqlite3_bind_int64(handle, index, value)
            case .real(let value): rc = sqlite3_bind_double(handle, index, value)
            case .text(var value):
                rc = value.withUTF8 { bytes in
                    // An empty buffer may have no address; SQLite needs a non-null pointer for ''.
                    guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT) }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text(handle, index, $0, Int32(bytes.count), SQLITE_TRANSIENT)
                    }
                }
            case .blob(let value):
                rc = value.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), SQLITE_TRANSIENT)
                }
            }
            guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
        }
    }

    /// Advances: true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc, sql: sql)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// The current row of a query. Valid only inside the mapping closure.
public struct Row {
    let statement: Statement

    public var columnCount: Int { Int(sqlite3_column_count(statement.handle)) }

    public func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement.handle, Int32(index)) == SQLITE_NULL }

    public func int(_ index: Int) -> Int { Int(sqlite3_column_int64(statement.handle, Int32(index))) }

    public func double(_ index: Int) -> Double { sqlite3_column_double(statement.handle, Int32(index)) }

    public func bool(_ index: Int) -> Bool { sqlite3_column_int64(statement.handle, Int32(index)) != 0 }

    public func string(_ index: Int) -> String {
        guard let text = sqlite3_column_text(statement.handle, Int32(index)) else { return "" }
        let count = Int(sqlite3_column_bytes(statement.handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func blob(_ index: Int) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement.handle, Int32(index)))
        guard count > 0, let bytes = sqlite3_column_blob(statement.handle, Int32(index)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    public func optionalString(_ index: Int) -> String? { isNull(index) ? nil : string(index) }
    public func optionalInt(_ index: Int) -> Int? { isNull(index) ? nil : int(index) }
    public func optionalDouble(_ index: Int) -> Double? { isNull(index) ? nil : double(index) }

    /// The value of a column whatever its type.
    public func value(_ index: Int) -> SQLValue {
        switch sqlite3_column_type(statement.handle, Int32(index)) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement.handle, Int32(index)))
        case SQLITE_FLOAT: .real(double(index))
        case SQLITE_TEXT: .text(string(index))
        case SQLITE_BLOB: .blob(blob(index))
        default: .null
        }
    }

    public func columnName(_ index: Int) -> String { String(cString: sqlite3_column_name(statement.handle, Int32(index))) }

    /// The index of a named result column (for readable mapping code); -1 if absent.
    public func index(of name: String) -> Int { Int(statement.columnIndex[name] ?? -1) }

    public func string(_ name: String) -> String { string(index(of: name)) }
    public func int(_ name: String) -> Int { int(index(of: name)) }
    public func optionalString(_ name: String) -> String? { optionalString(index(of: name)) }
    public func optionalInt(_ name: String) -> Int? { optionalInt(index(of: name)) }
}
