import Dispatch
import HTTP1
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads bytes, feeds the parser, calls the responder for each complete
/// request in order, and writes the answers back.
///
/// All mutable state is confined to `queue` (the serial queue of the worker the connection is pinned
/// to): readiness events from the worker's epoll set and timeouts all run there, so the class needs
/// no locks. Only `deadline` is read from the server's sweeper thread, which is why it is atomic.
final class Connection: @unchecked Sendable {
    enum Phase: Int {
        case idle = 0       // between requests (keep-alive)
        case head = 1       // part of a head has arrived
        case body = 2       // head done, body arriving
        case writing = 3    // a response is waiting for the client to read
        case lingering = 4  // closing: our side is shut, discarding what the client still sends
    }

    let queue: DispatchQueue
    private let worker: Worker
    private let fd: Int32
    private let remoteAddress: String
    private let configuration: ServerConfiguration
    private let responder: any HTTPResponder
    private let server: HTTPServer   // released when the connection closes

    private var parser: RequestParser
    /// True while reading is paused until the socket takes more of the response.
    private var waitingToWrite = false
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var closeAfterWrite = false
    private var closed = false
    private var draining = false
    private var lingerBytes = 0
    private var dateCache: (second: Int64, text: String) = (0, "")

    /// Monotonic nanoseconds after which the sweeper should call `checkDeadline`; 0 means none.
    let deadline = Atomic<UInt64>(0)
    private var phase = Phase.idle
    /// While `.writing`: when the write timeout runs out (`deadline` is sooner, see `checkDeadline`).
    private var writeDeadline: UInt64 = 0

    init(fd: Int32, remoteAddress: String, configuration: ServerConfiguration, responder: any HTTPResponder,
         server: HTTPServer, worker: Worker) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.configuration = configuration
        self.responder = responder
        self.server = server
        self.parser = RequestParser(limits: configuration.parserLimits)
        self.worker = worker
        self.queue = worker.queue
    }

    func start() {
        setPhase(.idle)
        watch(read: true, write: false)
    }

    /// Called by the worker when the socket is ready. A hang-up or an error is handled by the read
    /// or the send it makes fail, which closes the connection.
    func ready(readable: Bool, writable: Bool, failed: Bool) {
        guard !closed else { return }
        if waitingToWrite {
            guard writable || failed else { return }
            flush()
            if !closed && !waitingToWrite { process() }
        } else if readable || failed {
            self.readable()
        }
    }

    // MARK: - Reading

    private func readable() {
        guard !closed else { return }
        // One read per event: a busy connection cannot starve the others on this core.
        let count = withUnsafeTemporaryAllocation(byteCount: 64 * 1024, alignment: 16) { buffer -> Int in
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                if phase == .lingering {
                    lingerBytes += n
                } else {
                    parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                }
            }
            return n
        }
        if count > 0 {
            if phase == .lingering {
                if lingerBytes > 1 << 20 { close() }
                return
            }
            process()
        } else if count == 0 {
            // The client finished sending. What it already asked for is still answered, then we close.
            if phase == .lingering { close(); return }
            closeAfterWrite = true
            process()
            if !closed && !waitingToWrite { close() }
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    /// Answers every complete request in the buffer, in order, batching the responses into one
    /// write; stops while a response cannot be written (the client is not reading).
    private func process() {
        while !closed && !waitingToWrite {
            switch parser.next() {
            case .needMoreData:
                let next: Phase = parser.isIdle ? .idle : parser.isReceivingBody ? .body : .head
                if next != phase || next == .idle { setPhase(next) }
                if parser.isIdle && draining { closeAfterWrite = true }
                flush()
                return
            case .continueExpected:
                setPhase(.body)
                outbound.append(contentsOf: ResponseEncoder.continueResponse)
                flush()
            case .request(let request):
                respond(to: request)
                if closeAfterWrite || outbound.count >= 64 * 1024 { flush() }
                if closeAfterWrite { return }
            case .failure(let error):
                let info = RequestInfo(requestId: server.requestIDs.next(), remoteAddress: remoteAddress,
                                       startedAt: Socket.monotonicNanos())
                var response = responder.respond(toMalformed: error, info: info)
                response.headers.set("X-Request-Id", info.requestId)
                closeAfterWrite = true
                enqueue(response, omitBody: false, method: "-", path: "-", info: info)
                flush()
                return
            }
        }
    }

    private func respond(to request: HTTPRequest) {
        let info = RequestInfo(requestId: server.requestIDs.id(echoing: request.headers["x-request-id"]),
                               remoteAddress: remoteAddress, startedAt: Socket.monotonicNanos())
        var response = responder.respond(to: request, info: info)
        response.headers.set("X-Request-Id", info.requestId)
        if !request.keepAlive || response.closeConnection || draining { closeAfterWrite = true }
        // HTTP/1.0 closes by default, so a 1.0 client that asked to keep the connection is told it may.
        if request.version.minor == 0 && !closeAfterWrite { response.headers.set("Connection", "keep-alive") }
        enqueue(response, omitBody: request.method == .HEAD, method: request.method.rawValue,
                path: String(request.path), info: info)
    }

    private func enqueue(_ response: HTTPResponse, omitBody: Bool, method: String, path: String, info: RequestInfo) {
        let before = outbound.count
        ResponseEncoder.encode(response, omitBody: omitBody, close: closeAfterWrite, date: httpDate(), into: &outbound)
        let now = Socket.monotonicNanos()
        responder.log(AccessLogEntry(
            time: Socket.epochMillis(), requestId: info.requestId, method: method, path: path,
            status: response.status, bytes: outbound.count - before,
            durationMicros: Int((now &- info.startedAt) / 1000), principal: response.logPrincipal))
    }

    // MARK: - Writing

    /// Writes what is queued. If the socket is full, stops reading and waits to be writable.
    private func flush() {
        guard !closed else { return }
        while outboundOffset < outbound.count {
            let n = outbound.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress! + outboundOffset, bytes.count - outboundOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outboundOffset += n
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                waitUntilWritable()
                return
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                close()   // the client vanished: that costs only this connection
                return
            }
        }
        if !outbound.isEmpty {
            outbound.removeAll(keepingCapacity: outbound.capacity <= 256 * 1024)
            outboundOffset = 0
        }
        if waitingToWrite { stopWaitingForWritable() }
        if closeAfterWrite { finishClosing() }
    }

    private func waitUntilWritable() {
        setPhase(.writing)
        guard !waitingToWrite else { return }
        waitingToWrite = true
        // Write interest only: reading pauses until the client takes what we have for it.
        watch(read: false, write: true)
    }

    private func stopWaitingForWritable() {
        waitingToWrite = false
        watch(read: true, write: false)
        setPhase(parser.isIdle ? .idle : .head)
    }

    // MARK: - Closing

    /// After an answer that ends the connection: shut our side, then discard what the client still
    /// sends for a moment, so it reads our response instead of a reset.
    private func finishClosing() {
        if parser.bufferedByteCount == 0 && parser.isIdle {
            close()
            return
        }
        shutdown(fd, Int32(SHUT_WR))
        setPhase(.lingering)
        if waitingToWrite {
            waitingToWrite = false
            watch(read: true, write: false)
        }
    }

    /// Called on `queue` by the server when it starts shutting down.
    func drain() {
        draining = true
        if phase == .idle && outbound.isEmpty && parser.isIdle { close() }
    }

    /// Called on `queue` when the sweeper saw the deadline pass.
    func checkDeadline(now: UInt64) {
        guard !closed else { return }
        let due = deadline.load(ordering: .relaxed)
        guard due != 0, due <= now else { return }
        switch phase {
        case .head, .body:
            let info = RequestInfo(requestId: server.requestIDs.next(), remoteAddress: remoteAddress, startedAt: now)
            var response = responder.respond(toMalformed: HTTPParseError(status: 408, reason: "request not received in time"), info: info)
            response.headers.set("X-Request-Id", info.requestId)
            closeAfterWrite = true
            enqueue(response, omitBody: false, method: "-", path: "-", info: info)
            flush()
            if !closed { close() }
        case .writing:
            // The epoll set reports a hang-up or an error while we wait to write; looking at the
            // socket ourselves now and then as well is cheap, and closes at once when the peer is gone.
            if now < writeDeadline && !peerIsGone() {
                deadline.store(now + UInt64(min(configuration.writeTimeout, 1) * 1e9), ordering: .relaxed)
                return
            }
            close()
        case .idle, .lingering:
            close()
        }
    }

    /// True when the socket reports an error or a hang-up (e.g. the client reset the connection).
    private func peerIsGone() -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLERR | POLLHUP) != 0
    }

    func close() {
        guard !closed else { return }
        closed = true
        deadline.store(0, ordering: .relaxed)
        waitingToWrite = false
        outbound = []
        // Unregistered before the descriptor is closed, so a new connection reusing the number
        // cannot be handed this one's events.
        worker.unwatch(fd)
        Glibc.close(fd)
        server.connectionClosed(self)
    }

    // MARK: - Helpers

    /// (Re-)registers the socket with the worker's epoll set; if the kernel refuses, the connection
    /// cannot be served and is closed.
    private func watch(read: Bool, write: Bool) {
        if !worker.watch(fd, for: self, read: read, write: write) { close() }
    }

    private func setPhase(_ next: Phase) {
        phase = next
        let timeout: Double
        switch next {
        case .idle: timeout = configuration.idleTimeout
        case .head: timeout = configuration.headerTimeout
        case .body: timeout = configuration.bodyTimeout
        case .writing:
            // Checked every second at most, for a peer that vanished (see `checkDeadline`).
            writeDeadline = Socket.monotonicNanos() + UInt64(configuration.writeTimeout * 1e9)
            timeout = min(configuration.writeTimeout, 1)
        case .lingering: timeout = 2
        }
        deadline.store(Socket.monotonicNanos() + UInt64(timeout * 1e9), ordering: .relaxed)
    }

    private func httpDate() -> String {
        let now = Socket.epochMillis() / 1000
        if now != dateCache.second { dateCache = (now, HTTPDate.format(epochSeconds: Int(now))) }
        return dateCache.text
    }
}
