import Dispatch
import Synchronization

/// One writer and a few readers on the same WAL database (GRDB's DatabasePool, without async).
///
/// - Writes are serialised on the single writer connection and run in `BEGIN IMMEDIATE`
///   transactions, so they never fail half-way on a lock upgrade.
/// - Reads take any free reader connection and run in a deferred transaction: one consistent
///   snapshot, never blocked by the writer.
public final class DatabasePool: Sendable {
    public let path: String
    public let busy: BusyCounter
    private let writer: ConnectionBox
    private let writerLock = Lock()
    private let readers: Mutex<[ConnectionBox]>
    private let readerSlots: DispatchSemaphore
    private let closed = Atomic<Bool>(false)

    /// Connections are confined: the pool hands each to one thread at a time.
    final class ConnectionBox: @unchecked Sendable {
        let database: Database
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
        readers = Mutex(readerBoxes)
        readerSlots = DispatchSemaphore(value: readerBoxes.count)
    }

    /// Runs `body` on a reader connection inside a read transaction.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        readerSlots.wait()
        defer { readerSlots.signal() }
        guard let box = readers.withLock({ $0.popLast() }) else { throw StoreError("no reader connection available") }
        defer { readers.withLock { $0.append(box) } }
        return try box.database.transaction(.deferred) { try body(box.database) }
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
