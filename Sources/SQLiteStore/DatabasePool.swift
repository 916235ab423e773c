import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One writer and a few readers on the same WAL database (GRDB's DatabasePool, without async).
///
/// - Writes are serialised on the single writer connection and run in `BEGIN IMMEDIATE`
///   transactions, so they never fail half-way on a lock upgrade.
/// - Reads take a reader connection and run in a deferred transaction: one consistent snapshot,
///   never blocked by the writer. Each thread starts from "its" reader (by thread identity) and
///   takes the first free one, so request threads rarely meet on a lock.
public final class DatabasePool: Sendable {
    public let path: String
    public let busy: BusyCounter
    private let writer: ConnectionBox
    private let writerLock = Lock()
    private let readers: [ConnectionBox]
    private let closed = Atomic<Bool>(false)

    /// Connections are confined: the pool hands each to one thread at a time.
    final class ConnectionBox: @unchecked Sendable {
        let database: Database
        let lock = Lock()
        init(_ database: Database) { self.database = database }
    }

    public init(path: String, configuration: DatabaseConfiguration = DatabaseConfiguration()) throws {
        self.path = path
        busy = BusyCounter(timeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        let writerDatabase = try Database(path: path, mode: .readWrite, configuration: configuration, busy: busy)
        writer = ConnectionBox(writerDatabase)
        var readerBoxes: [ConnectionBox] = []
        for _ in 0..<max(1, configuration.readers) {
            readerBoxes.append(ConnectionBox(try Database(path: path, mode: .readOnly, configuration: configuration, busy: busy)))
        }
        readers = readerBoxes
    }

    /// Runs `body` on a reader connection inside a read transaction.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        let start = Self.threadSlot % readers.count
        for offset in 0..<readers.count {
            let box = readers[(start + offset) % readers.count]
            if box.lock.tryLock() {
                defer { box.lock.unlock() }
                return try box.database.transaction(.deferred) { try body(box.database) }
            }
        }
        // All busy: wait for this thread's own reader.
        let box = readers[start]
        box.lock.lock()
        defer { box.lock.unlock() }
        return try box.database.transaction(.deferred) { try body(box.database) }
    }

    /// A small number that stays the same for a thread, spreading threads over the readers.
    private static var threadSlot: Int {
        var hasher = Hasher()
        hasher.combine(UInt(pthread_self()))
        return hasher.finalize() & Int.max
    }

    /// Runs `body` on the writer inside `BEGIN IMMEDIATE … COMMIT`; rolled back if it throws.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writerLock.withLock {
            try writer.database.transaction(.immediate) { try body(writer.database) }
        }
    }

    /// Runs `body` on the writer with no transaction around it (migrations manage their own).
    public func withWriter<T>(_ body: (Database) throws -> T) throws -> T {
        try writerLock.withLock { try body(writer.database) }
    }

    /// Optimises and checkpoints, then releases the connections. Further use throws.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        writerLock.withLock { writer.database.optimize() }
    }
}
