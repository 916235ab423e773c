import CEpoll
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A serial worker queue and the epoll set of the connections pinned to it.
///
/// Why one epoll set per worker instead of a Dispatch source per connection: on Linux, libdispatch
/// delivers each source's event through its manager thread and re-arms the source there after the
/// handler ran, so every request paid for an eventfd write, a manager wake-up and a context switch,
/// about a third of the server's CPU time on small requests. Here Dispatch watches one descriptor
/// per worker, the epoll set, and its handler collects the ready connections itself and calls them
/// in turn on the worker queue: the re-arm is paid once per batch of events, not once per request.
///
/// The set and `connections` are confined to `queue`; other threads reach them only through
/// `queue.async`, as before. Registrations are level-triggered, so readiness a handler leaves
/// unconsumed (one read per event, see `Connection`) is reported again and never lost.
final class Worker: @unchecked Sendable {
    let queue: DispatchQueue
    /// The epoll set, or -1 when it could not be created (then `start` fails; see `HTTPServer.start`).
    private let epollFD: Int32
    private let creationError: Int32
    private var source: (any DispatchSourceRead)?
    /// Queue-confined: the connection behind each registered descriptor.
    private var connections: [Int32: Connection] = [:]

    /// Events taken per `epoll_wait`, and batches per wake-up before other work on the queue gets a turn.
    private static let batchSize = 64
    private static let batchesPerWakeUp = 4

    init(label: String) {
        queue = DispatchQueue(label: label)
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        creationError = epollFD < 0 ? errno : 0
    }

    deinit {
        if let source {
            source.cancel()   // its cancel handler closes the set once Dispatch has let go of it
        } else if epollFD >= 0 {
            Glibc.close(epollFD)
        }
    }

    /// Starts watching the epoll set (once). Called from `HTTPServer.start`.
    func start() throws {
        guard epollFD >= 0 else { throw Socket.Failure(call: "epoll_create1", code: creationError) }
        queue.sync {
            guard source == nil else { return }
            let epollFD = epollFD
            let source = DispatchSource.makeReadSource(fileDescriptor: epollFD, queue: queue)
            // Weak: the source lives until cancelled, and it is cancelled when the worker goes away.
            source.setEventHandler { [weak self] in self?.runReady() }
            source.setCancelHandler { Glibc.close(epollFD) }
            self.source = source
            source.resume()
        }
    }

    // MARK: - Registrations (on `queue`)

    /// Watches `fd` for reading or writing (level-triggered), replacing an earlier registration.
    /// False when the kernel refused (e.g. out of memory): the caller then closes the connection.
    func watch(_ fd: Int32, for connection: Connection, read: Bool, write: Bool) -> Bool {
        var event = epoll_event()
        event.events = (read ? EPOLLIN.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        let operation = connections.updateValue(connection, forKey: fd) == nil ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        guard epoll_ctl(epollFD, operation, fd, &event) == 0 else {
            if operation == EPOLL_CTL_ADD { connections[fd] = nil }
            return false
        }
        return true
    }

    /// Stops watching `fd`. Must come before `close(fd)`: a new connection reusing the number must
    /// never be handed this one's events.
    func unwatch(_ fd: Int32) {
        guard connections.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    // MARK: - Events (on `queue`)

    /// The epoll set is readable: take the ready connections without blocking and call each, until
    /// none is left or the batch cap is reached.
    private func runReady() {
        withUnsafeTemporaryAllocation(of: epoll_event.self, capacity: Self.batchSize) { events in
            guard let base = events.baseAddress else { return }
            for _ in 0..<Self.batchesPerWakeUp {
                let count = epoll_wait(epollFD, base, Int32(events.count), 0)
                guard count > 0 else { return }   // 0: nothing ready; -1 (EINTR): the source fires again
                for event in events[0..<Int(count)] {
                    let bits = event.events
                    // A connection called earlier in this batch may have closed (and unwatched) this one.
                    connections[event.data.fd]?.ready(
                        readable: bits & EPOLLIN.rawValue != 0,
                        writable: bits & EPOLLOUT.rawValue != 0,
                        failed: bits & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0)
                }
            }
            // Still busy after the cap: let the work queued behind us (new connections, timeouts,
            // shutdown) run, then continue. (The source would fire again anyway, as the set is still
            // readable; this only makes sure of it.)
            queue.async { [weak self] in self?.runReady() }
        }
    }
}
