import Foundation
import HTTP1
import HTTPServer
import KithTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

// End-to-end tests of `HTTPServer` over real sockets: every test starts its own server on an
// ephemeral port with the small responder below, talks raw HTTP/1.1 to it with `RawConnection`,
// and shuts it down. Timeouts are configured short so the suite stays fast.

// MARK: - Test responder

/// What the server told the responder, for assertions.
final class Recorder: Sendable {
    private struct State {
        var log: [AccessLogEntry] = []
        var connectionCounts: [Int] = []
        var slowStarted = 0
        var slowFinished = 0
    }
    private let state = Mutex(State())

    func logged(_ entry: AccessLogEntry) { state.withLock { $0.log.append(entry) } }
    func countChanged(_ count: Int) { state.withLock { $0.connectionCounts.append(count) } }
    func slowStarted() { state.withLock { $0.slowStarted += 1 } }
    func slowFinished() { state.withLock { $0.slowFinished += 1 } }

    var log: [AccessLogEntry] { state.withLock { $0.log } }
    var connectionCounts: [Int] { state.withLock { $0.connectionCounts } }
    var slowStartedCount: Int { state.withLock { $0.slowStarted } }
    var slowFinishedCount: Int { state.withLock { $0.slowFinished } }
}

/// Echo (method, target, version, body length and body), plus a few special paths:
/// `/slow` sleeps, `/big` answers 16 MiB, `/close` asks to close, `/no-content` is a 204.
struct TestResponder: HTTPResponder {
    static let bigSize = 16 << 20
    static let big = [UInt8](repeating: UInt8(ascii: "b"), count: bigSize)
    static let slowMicros: UInt32 = 400_000

    let recorder: Recorder

    func respond(to request: HTTPRequest, info: RequestInfo) -> HTTPResponse {
        var response: HTTPResponse
        switch request.path {
        case "/slow":
            recorder.slowStarted()
            usleep(Self.slowMicros)
            recorder.slowFinished()
            response = HTTPResponse(status: 200, body: Array("slow done".utf8))
        case "/big":
            response = HTTPResponse(status: 200, body: Self.big)
        case "/close":
            response = HTTPResponse(status: 200, body: Array("bye".utf8))
            response.closeConnection = true
        case "/no-content":
            response = HTTPResponse(status: 204, body: Array("never sent".utf8))
        default:
            response = HTTPResponse(status: 200, body: request.body)
        }
        response.headers.add("X-Method", request.method.rawValue)
        response.headers.add("X-Target", request.target)
        response.headers.add("X-Version", request.version.description)
        response.headers.add("X-Body-Length", String(request.body.count))
        response.headers.add("X-Seen-Request-Id", info.requestId)
        return response
    }

    func respond(toMalformed error: HTTPParseError, info: RequestInfo) -> HTTPResponse {
        let json = "{\"status\":\(error.status),\"detail\":\"\(error.reason)\"}"
        var response = HTTPResponse(status: error.status, body: Array(json.utf8))
        response.headers.add("Content-Type", "application/problem+json")
        response.headers.add("X-Seen-Request-Id", info.requestId)
        return response
    }

    func log(_ entry: AccessLogEntry) { recorder.logged(entry) }
    func connectionCountChanged(to count: Int) { recorder.countChanged(count) }
}

// MARK: - Harness

struct Harness {
    let server: HTTPServer
    let recorder: Recorder
    var port: Int { server.port }

    func connect(timeout: Double = 5) throws -> RawConnection { try RawConnection(port: port, timeout: timeout) }

    /// True once `condition` holds, polling for up to `seconds`.
    func eventually(within seconds: Double = 3, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// One GET on a fresh connection: the server still works.
    func stillServes(_ path: String = "/alive") throws -> Bool {
        let connection = try connect()
        try connection.send(get(path, close: true))
        let response = try connection.readResponse()
        return response.status == 200 && response.header("X-Target") == path
    }
}

/// Runs `body` against a fresh server, then shuts it down.
func withServer(_ configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (Harness) throws -> Void) throws {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.shutdownGrace = 2
    configure(&configuration)
    let recorder = Recorder()
    let server = HTTPServer(configuration: configuration, responder: TestResponder(recorder: recorder))
    try server.start()
    defer { server.shutdown() }
    #expect(server.port > 0)
    try body(Harness(server: server, recorder: recorder))
}

func get(_ path: String, version: String = "HTTP/1.1", headers: [String] = [], close: Bool = false) -> String {
    var head = "GET \(path) \(version)\r\nHost: test\r\n"
    for line in headers { head += line + "\r\n" }
    if close { head += "Connection: close\r\n" }
    return head + "\r\n"
}

func post(_ path: String, body: String, headers: [String] = []) -> String {
    var head = "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n"
    for line in headers { head += line + "\r\n" }
    return head + "\r\n" + body
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Ids the server makes up: a 16-hex-digit process prefix, a dash and a counter.
func isGeneratedRequestId(_ id: String?) -> Bool {
    guard let id else { return false }
    let parts = id.split(separator: "-")
    guard parts.count == 2, parts[0].utf8.count == 16 else { return false }
    return parts[0].utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        && !parts[1].isEmpty && parts[1].utf8.allSatisfy { (48...57).contains($0) }
}

// MARK: - Tests

// Serialized: the timing tests (timeouts, shutdown) should not compete for the two cores.
@Suite("HTTPServer", .serialized)
struct HTTPServerTests {
    // MARK: Persistence

    @Test func keepAliveReusesOneConnection() throws {
        try withServer { h in
            let connection = try h.connect()
            for i in 0..<5 {
                try connection.send(get("/r\(i)?n=\(i)"))
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect(response.header("X-Target") == "/r\(i)?n=\(i)")
                #expect(response.header("Connection") == nil)
            }
            #expect(h.server.openConnections == 1)
            let paths = h.recorder.log.map(\.path)
            #expect(paths == (0..<5).map { "/r\($0)" }, "the access log has the path without the query")
        }
    }

    @Test func http10ClosesAfterTheResponse() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Version") == "HTTP/1.0")
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    @Test func http10KeepAliveKeepsTheConnection() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/one", version: "HTTP/1.0", headers: ["Connection: keep-alive"]))
            let first = try connection.readResponse()
            #expect(first.status == 200)
            #expect(first.header("Connection") == "keep-alive", "a 1.0 client is told the connection stays open")
            try connection.send(get("/two", version: "HTTP/1.0", headers: ["Connection: Keep-Alive"]))
            #expect(try connection.readResponse().header("X-Target") == "/two")
            // Without the option the next one closes.
            try connection.send(get("/three", version: "HTTP/1.0"))
            let last = try connection.readResponse()
            #expect(last.header("X-Target") == "/three")
            #expect(last.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    @Test func connectionCloseFromTheClient() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/bye", close: true))
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    @Test func responderCanCloseTheConnection() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/close"))
            let response = try connection.readResponse()
            #expect(response.text == "bye")
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    @Test func halfClosedClientStillGetsItsAnswer() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(post("/upload", body: "payload"))
            connection.shutdownWrite()
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "payload")
            // (No `Connection: close` is promised: the request may be answered before the server
            // reads the end of the stream. But then the connection closes.)
            #expect(connection.waitForClose())
        }
    }

    // MARK: Pipelining, HEAD, bodies

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/first") + post("/second", body: "two") + get("/third"))
            let responses = try (0..<3).map { _ in try connection.readResponse() }
            #expect(responses.map { $0.header("X-Target") } == ["/first", "/second", "/third"])
            #expect(responses[1].text == "two")
            #expect(responses.allSatisfy { $0.status == 200 })
            // Nothing else follows and the connection stays usable.
            #expect(!connection.isReadable(within: 0.1))
            try connection.send(get("/fourth"))
            #expect(try connection.readResponse().header("X-Target") == "/fourth")
        }
    }

    @Test func pipelinedHeadAmongOtherRequests() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/a") + "HEAD /big HTTP/1.1\r\nHost: test\r\n\r\n" + get("/c"))
            #expect(try connection.readResponse().header("X-Target") == "/a")
            let head = try connection.readResponse(head: true)
            #expect(head.header("Content-Length") == String(TestResponder.bigSize))
            #expect(try connection.readResponse().header("X-Target") == "/c")
        }
    }

    @Test func headHasContentLengthButNoBody() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("HEAD /big HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try connection.readResponse(head: true)
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == String(TestResponder.bigSize))
            #expect(response.header("X-Method") == "HEAD")
            // If any body byte had been sent, this would not parse as the next response.
            try connection.send(get("/after"))
            let next = try connection.readResponse()
            #expect(next.header("X-Target") == "/after")
            #expect(next.header("X-Method") == "GET")
        }
    }

    @Test func noContentHasNoBody() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/no-content") + get("/after"))
            let response = try connection.readResponse()
            #expect(response.status == 204)
            #expect(response.header("Content-Length") == nil)
            #expect(try connection.readResponse().header("X-Target") == "/after")
        }
    }

    @Test func bigResponseArrivesWhole() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/big"))
            let response = try connection.readResponse()
            #expect(response.body.count == TestResponder.bigSize)
            #expect(response.body.allSatisfy { $0 == UInt8(ascii: "b") })
            try connection.send(get("/after"))
            #expect(try connection.readResponse().header("X-Target") == "/after")
        }
    }

    @Test func chunkedUploadInManyWrites() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
            var expected: [UInt8] = []
            for i in 0..<50 {
                let chunk = [UInt8](repeating: UInt8(65 + i % 26), count: 1000 + i)
                expected += chunk
                try connection.send(Array(String(chunk.count, radix: 16).utf8) + [13, 10] + chunk + [13, 10])
            }
            try connection.send("0\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Body-Length") == String(expected.count))
            #expect(response.body == expected)
        }
    }

    // MARK: Expect: 100-continue

    @Test func expectContinueGetsContinueBeforeTheBodyIsSent() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try connection.readResponse()
            #expect(interim.status == 100)
            #expect(interim.headers.isEmpty)
            try connection.send("hello")
            let final = try connection.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "hello")
            #expect(final.header("X-Body-Length") == "5")
            // Exactly one 100 Continue: the connection is quiet now.
            #expect(!connection.isReadable(within: 0.1))
        }
    }

    @Test func noContinueWhenTheBodyCameWithTheHead() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(post("/upload", body: "hello", headers: ["Expect: 100-continue"]))
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func unsupportedExpectationIs417AndCloses() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(post("/upload", body: "hello", headers: ["Expect: 200-ok"]))
            let response = try connection.readResponse()
            #expect(response.status == 417)
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    // MARK: Malformed input

    @Test func parseErrorGetsAProblemAndCloses() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")   // no Host
            let response = try connection.readResponse()
            #expect(response.status == 400)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.object["status"] as? Int == 400)
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
            #expect(h.recorder.log.map(\.status) == [400])
            #expect(h.recorder.log.first?.method == "-")
        }
    }

    static let smugglingAttempts: [(String, String)] = [
        ("CL.TE", "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("TE.CL", "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2b\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n\r\n0\r\n\r\n"),
        ("TE obfuscated", "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("TE folded", "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("TE chunked, identity", "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("two Content-Lengths", "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("space before colon", "POST / HTTP/1.1\r\nHost: test\r\nContent-Length : 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("bare LF", "POST / HTTP/1.1\nHost: test\nContent-Length: 0\n\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
        ("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"),
    ]

    @Test(arguments: smugglingAttempts)
    func smuggledRequestIsNeverAnswered(name: String, wire: String) throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(wire)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(name)")
            #expect(response.header("Connection") == "close")
            let rest = connection.readUntilClose()
            #expect(rest.isEmpty, "\(name): more bytes after the error: \(String(decoding: rest, as: UTF8.self))")
            #expect(!h.recorder.log.contains { $0.path.contains("smuggled") })
            #expect(h.recorder.log.count == 1)
        }
    }

    @Test func declaredBodyOverTheLimitIs413AndCloses() throws {
        try withServer({ $0.parserLimits.maxBodyBytes = 1024 }) { h in
            let connection = try h.connect()
            try connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 4096\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 413)
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
            // At the limit is fine.
            let ok = try h.connect()
            try ok.send(post("/upload", body: String(repeating: "x", count: 1024)))
            #expect(try ok.readResponse().header("X-Body-Length") == "1024")
        }
    }

    @Test func chunkedBodyOverTheLimitIs413AndCloses() throws {
        try withServer({ $0.parserLimits.maxBodyBytes = 1024 }) { h in
            let connection = try h.connect()
            try connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n"
                + String(repeating: "x", count: 512) + "\r\n201\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 413)
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
        }
    }

    static let garbage: [(String, [UInt8])] = [
        ("TLS ClientHello", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + [UInt8](repeating: 0x42, count: 64)),
        ("invalid UTF-8", [0xFF, 0xFE, 0xFD, 0xC3, 0x28, 0x20, 0x2F, 0x20] + Array("HTTP/1.1\r\nHost: test\r\n\r\n".utf8)),
        ("NULs", [UInt8](repeating: 0, count: 32)),
        ("NUL in a header", Array("GET / HTTP/1.1\r\nHost: test\r\nX: a\u{0}b\r\n\r\n".utf8)),
        ("binary noise", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }),
        ("text noise", Array("hello there\r\n\r\n".utf8)),
        ("control characters", Array("GET / HTTP/1.1\r\nHost: test\r\nX: \u{1B}[2J\r\n\r\n".utf8)),
    ]

    @Test(arguments: garbage)
    func garbageGets400AndTheServerSurvives(name: String, bytes: [UInt8]) throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(bytes)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(name)")
            #expect(response.header("Connection") == "close")
            #expect(connection.waitForClose())
            #expect(try h.stillServes())
        }
    }

    @Test func unknownMethodIs501() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("BREW /pot HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 501)
            #expect(connection.waitForClose())
        }
    }

    // MARK: Timeouts

    @Test func slowHeadGets408ThenClose() throws {
        try withServer({ $0.headerTimeout = 0.5 }) { h in
            let connection = try h.connect()
            let start = ContinuousClock.now
            try connection.send("GET /slowloris HTTP/1.1\r\nHost: test\r\n")
            let response = try connection.readResponse()
            let elapsed = seconds(since: start)
            #expect(response.status == 408)
            #expect(response.header("Connection") == "close")
            #expect(isGeneratedRequestId(response.header("X-Request-Id")))
            #expect(elapsed >= 0.45, "408 after \(elapsed)s")
            #expect(elapsed < 2.5, "408 after \(elapsed)s")
            #expect(connection.waitForClose())
        }
    }

    @Test func tricklingBytesDoesNotExtendTheHeaderTimeout() throws {
        try withServer({ $0.headerTimeout = 0.5 }) { h in
            let connection = try h.connect()
            let start = ContinuousClock.now
            let head = Array("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: \(String(repeating: "z", count: 60))\r\n\r\n".utf8)
            for byte in head {
                try connection.send([byte])
                if connection.isReadable(within: 0.1) { break }
            }
            let response = try connection.readResponse()
            let elapsed = seconds(since: start)
            #expect(response.status == 408)
            #expect(elapsed < 2, "a byte every 100 ms kept the connection for \(elapsed)s")
            #expect(connection.waitForClose())
        }
    }

    @Test func slowBodyGets408ThenClose() throws {
        try withServer({ $0.bodyTimeout = 0.5 }) { h in
            let connection = try h.connect()
            let start = ContinuousClock.now
            try connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc")
            let response = try connection.readResponse()
            let elapsed = seconds(since: start)
            #expect(response.status == 408)
            #expect(elapsed >= 0.45 && elapsed < 2.5, "408 after \(elapsed)s")
            #expect(connection.waitForClose())
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        try withServer({ $0.idleTimeout = 0.5 }) { h in
            let connection = try h.connect()
            try connection.send(get("/once"))
            #expect(try connection.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(connection.waitForClose())
            let elapsed = seconds(since: start)
            #expect(elapsed >= 0.4 && elapsed < 2.5, "closed after \(elapsed)s")
            #expect(h.eventually { h.server.openConnections == 0 })
        }
    }

    @Test func connectionThatNeverSendsIsClosedWhenIdle() throws {
        try withServer({ $0.idleTimeout = 0.5 }) { h in
            let connection = try h.connect()
            #expect(connection.waitForClose())
        }
    }

    @Test func requestsKeepAnIdleConnectionAlive() throws {
        try withServer({ $0.idleTimeout = 0.6 }) { h in
            let connection = try h.connect()
            // Four requests 0.3 s apart: longer in total than the idle timeout, never idle that long.
            for i in 0..<4 {
                try connection.send(get("/tick\(i)"))
                #expect(try connection.readResponse().header("X-Target") == "/tick\(i)")
                usleep(300_000)
            }
        }
    }

    @Test func clientThatStopsReadingIsDropped() throws {
        try withServer({ $0.writeTimeout = 0.5 }) { h in
            let connection = try h.connect()
            try connection.send(get("/big"))
            #expect(h.eventually { h.server.openConnections == 1 })
            #expect(h.eventually(within: 4) { h.server.openConnections == 0 })
            #expect(try h.stillServes())
            _ = connection
        }
    }

    // MARK: Limits and resilience

    @Test func connectionsOverTheLimitGet503() throws {
        try withServer({ $0.maxConnections = 2 }) { h in
            let first = try h.connect()
            let second = try h.connect()
            for (connection, name) in [(first, "/1"), (second, "/2")] {
                try connection.send(get(name))
                #expect(try connection.readResponse().status == 200)
            }
            #expect(h.server.openConnections == 2)

            let third = try h.connect()
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.header("Connection") == "close")
            #expect(isGeneratedRequestId(refused.header("X-Request-Id")))
            #expect(third.waitForClose())
            #expect(h.server.openConnections == 2)

            // The first two keep working.
            for (connection, name) in [(first, "/1b"), (second, "/2b")] {
                try connection.send(get(name))
                #expect(try connection.readResponse().header("X-Target") == name)
            }

            // Once one closes, there is room again.
            first.close()
            #expect(h.eventually { h.server.openConnections == 1 })
            #expect(try h.stillServes())
        }
    }

    @Test func clientVanishingMidRequestDoesNotHurtTheServer() throws {
        try withServer { h in
            let partialHead = try h.connect()
            try partialHead.send("GET /never HTTP/1.1\r\nHost: te")
            let partialBody = try h.connect()
            try partialBody.send("POST /never HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nabc")
            let continued = try h.connect()
            try continued.send("POST /never HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
            #expect(try continued.readResponse().status == 100)
            #expect(h.eventually { h.server.openConnections == 3 })
            partialHead.close()
            partialBody.close()
            continued.close()
            #expect(h.eventually { h.server.openConnections == 0 })
            #expect(!h.recorder.log.contains { $0.path == "/never" })
            #expect(try h.stillServes())
        }
    }

    @Test func clientVanishingMidResponseDoesNotHurtTheServer() throws {
        try withServer { h in
            for _ in 0..<3 {
                let connection = try h.connect()
                try connection.send(get("/big"))
                #expect(connection.isReadable(within: 2))
                connection.close()
            }
            #expect(h.eventually { h.server.openConnections == 0 })
            #expect(try h.stillServes())
            // The gauge the responder sees follows: back to zero once that last one closed too.
            #expect(h.eventually { h.recorder.connectionCounts.last == 0 })
        }
    }

    // MARK: Request ids and Date

    @Test(arguments: ["abc-123", "A.b_c:d-1", String(repeating: "x", count: 128)])
    func saneRequestIdIsEchoed(id: String) throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/id", headers: ["X-Request-Id: \(id)"]))
            let response = try connection.readResponse()
            #expect(response.headerValues("X-Request-Id") == [id])
            #expect(response.header("X-Seen-Request-Id") == id)
            #expect(h.recorder.log.first?.requestId == id)
        }
    }

    @Test(arguments: ["", "has space", "a/b", "<script>", "caf\u{E9}", String(repeating: "x", count: 129), "a\tb"])
    func otherRequestIdsAreReplaced(id: String) throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/id", headers: ["X-Request-Id: \(id)"]))
            let response = try connection.readResponse()
            let sent = response.headerValues("X-Request-Id")
            #expect(sent.count == 1)
            #expect(isGeneratedRequestId(sent.first), "\(sent)")
            #expect(response.header("X-Seen-Request-Id") == sent.first)
        }
    }

    @Test func generatedRequestIdsAreUnique() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/1") + get("/2") + get("/3"))
            let ids = try (0..<3).compactMap { _ in try connection.readResponse().header("X-Request-Id") }
            #expect(ids.count == 3)
            #expect(Set(ids).count == 3)
            #expect(ids.allSatisfy(isGeneratedRequestId))
        }
    }

    @Test func errorResponsesCarryARequestIdToo() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send("GET / HTTP/1.1\r\nX-Request-Id: mine\r\n\r\n")   // no Host: 400
            let response = try connection.readResponse()
            #expect(response.status == 400)
            #expect(isGeneratedRequestId(response.header("X-Request-Id")))
            #expect(response.header("X-Seen-Request-Id") == response.header("X-Request-Id"))
        }
    }

    @Test func dateIsPresentAndCurrent() throws {
        try withServer { h in
            let connection = try h.connect()
            try connection.send(get("/date") + "GET / HTTP/1.1\r\n\r\n")
            let ok = try connection.readResponse()
            let bad = try connection.readResponse()
            #expect(bad.status == 400)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            for response in [ok, bad] {
                let text = try #require(response.header("Date"))
                #expect(response.headerValues("Date").count == 1)
                let date = try #require(formatter.date(from: text), "not an IMF-fixdate: \(text)")
                #expect(abs(date.timeIntervalSinceNow) < 5)
                #expect(formatter.string(from: date) == text)
            }
        }
    }

    // MARK: Shutdown

    @Test func shutdownLetsAnInFlightRequestFinish() throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.shutdownGrace = 3
        let recorder = Recorder()
        let server = HTTPServer(configuration: configuration, responder: TestResponder(recorder: recorder))
        try server.start()
        defer { server.shutdown() }
        let port = server.port
        let h = Harness(server: server, recorder: recorder)

        let idle = try h.connect()
        try idle.send(get("/warmup"))
        #expect(try idle.readResponse().status == 200)

        let busy = try h.connect()
        try busy.send(get("/slow"))
        #expect(h.eventually { recorder.slowStartedCount == 1 })

        let start = ContinuousClock.now
        server.shutdown()
        let elapsed = seconds(since: start)

        // shutdown() waited for the slow request rather than cutting it.
        #expect(recorder.slowFinishedCount == 1)
        #expect(elapsed >= 0.2, "shutdown returned after \(elapsed)s")
        #expect(elapsed < 2.5, "shutdown returned after \(elapsed)s")
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(busy.waitForClose())
        #expect(idle.waitForClose())
        #expect(server.openConnections == 0)

        // No longer accepting.
        #expect(throws: (any Error).self) { _ = try RawConnection(port: port, timeout: 1) }
    }

    @Test func shutdownClosesIdleConnectionsAtOnce() throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.shutdownGrace = 5
        let server = HTTPServer(configuration: configuration, responder: TestResponder(recorder: Recorder()))
        try server.start()
        let connections = try (0..<3).map { _ in try RawConnection(port: server.port) }
        for connection in connections {
            try connection.send(get("/x"))
            _ = try connection.readResponse()
        }
        let start = ContinuousClock.now
        server.shutdown()
        #expect(seconds(since: start) < 1)
        for connection in connections { #expect(connection.waitForClose()) }
    }
}
