import Dispatch
import HTTP1
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets and Dispatch.
///
/// A listener source accepts connections and pins each to one of a few serial worker queues
/// (round robin), where its reads, handler calls and writes all run: requests on one connection
/// stay in order, connections on different workers run in parallel, and the server's threads are
/// its own rather than the global pool's. Each worker watches its connections through one epoll
/// set under one Dispatch source (see `Worker`). A sweeper timer enforces timeouts without a timer
/// per connection.
public final class HTTPServer: Sendable {
    public let configuration: ServerConfiguration
    private let responder: any HTTPResponder
    let requestIDs = RequestIDGenerator()

    private let state = Mutex(State())
    private let connectionCount = Atomic<Int>(0)
    private let controlQueue = DispatchQueue(label: "kith.server.control")
    private let workers: [Worker]
    private let nextWorker = Atomic<Int>(0)

    private struct State: ~Copyable {
        var listenerFD: Int32 = -1
        var port = 0
        var listener: DispatchHandle<any DispatchSourceRead>?
        var sweeper: DispatchHandle<any DispatchSourceTimer>?
        var connections: [ObjectIdentifier: Connection] = [:]
        var stopping = false
    }

    public init(configuration: ServerConfiguration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
        workers = (0..<max(1, configuration.workers)).map { Worker(label: "kith.worker.\($0)") }
        // A client that vanishes mid-response must not kill the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The port the server listens on (useful after binding port 0).
    public var port: Int { state.withLock { $0.port } }

    /// Open connections right now.
    public var openConnections: Int { connectionCount.load(ordering: .relaxed) }

    /// Binds and starts accepting. Returns at once; the work runs on Dispatch queues.
    public func start() throws {
        for worker in workers { try worker.start() }
        let fd = try Socket.listen(host: configuration.host, port: configuration.port, backlog: configuration.listenBacklog)
        let listener = DispatchSource.makeReadSource(fileDescriptor: fd, queue: controlQueue)
        listener.setEventHandler { [self] in acceptPending(fd) }
        listener.setCancelHandler { Glibc.close(fd) }

        let sweeper = DispatchSource.makeTimerSource(queue: controlQueue)
        sweeper.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250), leeway: .milliseconds(50))
        sweeper.setEventHandler { [self] in sweep() }

        state.withLock {
            $0.listenerFD = fd
            $0.port = Socket.localPort(fd)
            $0.listener = DispatchHandle(listener)
            $0.sweeper = DispatchHandle(sweeper)
        }
        listener.resume()
        sweeper.resume()
    }

    /// Stops accepting, lets in-flight requests finish (their responses say `Connection: close`),
    /// closes idle connections, and returns when all are closed or the grace period has passed.
    public func shutdown() {
        let connections = state.withLock { state -> [Connection] in
            state.stopping = true
            state.listener?.value.cancel()
            state.listener = nil
            return Array(state.connections.values)
        }
        for connection in connections { connection.queue.async { connection.drain() } }
        let deadline = Socket.monotonicNanos() + UInt64(configuration.shutdownGrace * 1e9)
        while openConnections > 0 && Socket.monotonicNanos() < deadline { usleep(10_000) }
        // Whatever is still open past the deadline is cut.
        let remaining = state.withLock { Array($0.connections.values) }
        for connection in remaining { connection.queue.async { connection.close() } }
        let hardDeadline = Socket.monotonicNanos() + 1_000_000_000
        while openConnections > 0 && Socket.monotonicNanos() < hardDeadline { usleep(5_000) }
        state.withLock {
            $0.sweeper?.value.cancel()
            $0.sweeper = nil
        }
    }

    // MARK: - Accepting

    private func acceptPending(_ listenerFD: Int32) {
        // Accept a bounded batch per event so a connection storm cannot monopolise the queue.
        for _ in 0..<256 {
            guard let (fd, address) = Socket.accept(listenerFD) else { return }
            if connectionCount.load(ordering: .relaxed) >= configuration.maxConnections {
                refuse(fd)
                continue
            }
            let worker = workers[nextWorker.wrappingAdd(1, ordering: .relaxed).oldValue % workers.count]
            let connection = Connection(fd: fd, remoteAddress: address, configuration: configuration,
                                        responder: responder, server: self, worker: worker)
            let admitted = state.withLock { state -> Bool in
                if state.stopping { return false }
                state.connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard admitted else { Glibc.close(fd); continue }
            let count = connectionCount.wrappingAdd(1, ordering: .relaxed).newValue
            responder.connectionCountChanged(to: count)
            connection.queue.async { connection.start() }
        }
    }

    /// Over the connection limit: a best-effort 503, then close. Costs no per-connection state.
    private func refuse(_ fd: Int32) {
        let info = RequestInfo(requestId: requestIDs.next(), remoteAddress: "", startedAt: Socket.monotonicNanos())
        var response = responder.respond(toMalformed: HTTPParseError(status: 503, reason: "too many open connections"), info: info)
        response.headers.set("X-Request-Id", info.requestId)
        response.headers.set("Retry-After", "1")
        var bytes: [UInt8] = []
        ResponseEncoder.encode(response, omitBody: false, close: true, date: HTTPDate.format(epochSeconds: Int(Socket.epochMillis() / 1000)), into: &bytes)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        Glibc.close(fd)
    }

    func connectionClosed(_ connection: Connection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
        let count = connectionCount.wrappingSubtract(1, ordering: .relaxed).newValue
        responder.connectionCountChanged(to: count)
    }

    // MARK: - Timeouts

    private func sweep() {
        let now = Socket.monotonicNanos()
        let due = state.withLock { state in
            state.connections.values.filter {
                let deadline = $0.deadline.load(ordering: .relaxed)
                return deadline != 0 && deadline <= now
            }
        }
        for connection in due { connection.queue.async { connection.checkDeadline(now: now) } }
    }
}

/// Request ids: the client's `X-Request-Id` when it is short and plain, otherwise a process prefix
/// and a counter (unique, cheap, and no personal data).
final class RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        prefix = String(repeating: "0", count: 16 - hex.count) + hex
    }

    func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(prefix)-\(n)"
    }

    func id(echoing candidate: String?) -> String {
        if let candidate, Self.isSane(candidate) { return candidate }
        return next()
    }

    static func isSane(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || "-_.:".utf8.contains(c)
        }
    }
}

/// Dispatch sources are thread-safe objects that Swift does not yet mark `Sendable`.
struct DispatchHandle<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
