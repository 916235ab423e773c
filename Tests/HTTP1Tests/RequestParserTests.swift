import HTTP1
import Testing

// Tests for `RequestParser` on literal wire bytes, in the style of swift-nio's parser tests:
// what comes out for a given input, however the input is split, and the status for every
// malformed, oversized or ambiguous (request smuggling) input.

private let host = "Host: a\r\n"

@Suite("RequestParser: well-formed requests")
struct RequestParserAcceptTests {
    @Test func simpleGet() {
        let out = parse("GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        #expect(out == [.request(Req("GET", "/hello?x=1", headers: ["host: example.com", "accept: */*"]))])
    }

    @Test(arguments: HTTPMethod.allCases)
    func everySupportedMethod(method: HTTPMethod) {
        let out = parse("\(method.rawValue) /m HTTP/1.1\r\n\(host)\r\n")
        #expect(out == [.request(Req(method.rawValue, "/m"))])
    }

    @Test func pathAndQueryAccessors() throws {
        let request = try #require(firstRequest("GET /a/b%20c?x=1&y=2 HTTP/1.1\r\n\(host)\r\n"))
        #expect(request.path == "/a/b%20c")
        #expect(request.query == "x=1&y=2")
        let plain = try #require(firstRequest("GET /a HTTP/1.1\r\n\(host)\r\n"))
        #expect(plain.path == "/a")
        #expect(plain.query == nil)
    }

    @Test func headerNamesAreLowercasedAndValuesKeptAsSent() {
        let out = parse("GET / HTTP/1.1\r\nHOST: a\r\nX-Custom-Header: MiXeD Case\r\ncontent-TYPE: text/plain\r\n\r\n")
        #expect(out == [.request(Req("GET", "/", headers: ["host: a", "x-custom-header: MiXeD Case", "content-type: text/plain"]))])
    }

    @Test func headerLookupIsCaseInsensitive() throws {
        let request = try #require(firstRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Thing: 1\r\n\r\n"))
        #expect(request.headers["X-THING"] == "1")
        #expect(request.headers["x-thing"] == "1")
        #expect(request.headers.contains("x-Thing"))
        #expect(!request.headers.contains("x-other"))
    }

    @Test func headerValuesAreTrimmedOfOptionalWhitespaceOnly() {
        let wire = "GET / HTTP/1.1\r\nHost: a\r\nX-A:   spaced  \r\nX-B:\tTabbed\t\r\nX-C:\r\nX-D: inner  \t space\r\n\r\n"
        let out = parse(wire)
        #expect(out == [.request(Req("GET", "/", headers: ["host: a", "x-a: spaced", "x-b: Tabbed", "x-c: ", "x-d: inner  \t space"]))])
    }

    @Test func repeatedHeadersAreAllKeptInOrder() throws {
        let request = try #require(firstRequest("GET / HTTP/1.1\r\nAccept: a\r\nHost: a\r\nAccept: b\r\nAccept: c, d\r\n\r\n"))
        #expect(request.headers.values("accept") == ["a", "b", "c, d"])
        #expect(request.headers.tokens("accept") == ["a", "b", "c", "d"])
        #expect(request.headers.count == 4)
    }

    @Test func obsTextIsAllowedInValues() throws {
        // RFC 9110 §5.5: field values may carry obs-text (bytes >= 0x80).
        let wire: [UInt8] = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8)
        let out = parse(wire)
        #expect(out == [.request(Req("GET", "/", headers: ["host: a", "x-name: café"]))])
    }

    @Test func emptyLinesBeforeTheRequestLineAreIgnored() {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        let wire = "\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n"
        #expect(parse(wire) == [.request(Req("GET", "/"))])
        #expect(parseByteByByte(Array(wire.utf8)) == [.request(Req("GET", "/"))])
    }

    @Test(arguments: ["", "example.com", "example.com:8080", "[::1]:80", "127.0.0.1", "xn--bcher-kva.example"])
    func plausibleHostValuesAreAccepted(value: String) {
        let out = parse("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n")
        #expect(out == [.request(Req("GET", "/", headers: ["host: \(value)"]))])
    }

    @Test func http10NeedsNoHost() {
        let out = parse("GET / HTTP/1.0\r\n\r\n")
        #expect(out == [.request(Req("GET", "/", version: "HTTP/1.0", headers: [], keepAlive: false))])
    }

    @Test(arguments: [
        ("http://example.com/path?q=1", "/path?q=1"),
        ("http://example.com", "/"),
        ("HTTPS://Example.COM:8443/a/b", "/a/b"),
        ("https://example.com/", "/"),
        ("http://example.com?x=1", "/?x=1"),
        ("/already/origin?x", "/already/origin?x"),
    ])
    func absoluteFormBecomesOriginForm(target: String, expected: String) {
        let out = parse("GET \(target) HTTP/1.1\r\n\(host)\r\n")
        #expect(out == [.request(Req("GET", expected))])
    }

    @Test func optionsAsteriskIsAccepted() {
        #expect(parse("OPTIONS * HTTP/1.1\r\n\(host)\r\n") == [.request(Req("OPTIONS", "*"))])
    }

    @Test(arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Close", false),
        ("HTTP/1.1", "keep-alive, close", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.1", "upgrade", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "upgrade,  keep-alive ", true),
        ("HTTP/1.0", "close", false),
        ("HTTP/1.0", "upgrade", false),
    ] as [(String, String?, Bool)])
    func keepAliveRules(version: String, connection: String?, expected: Bool) throws {
        var wire = "GET / \(version)\r\n\(host)"
        if let connection { wire += "Connection: \(connection)\r\n" }
        let request = try #require(firstRequest(wire + "\r\n"))
        #expect(request.keepAlive == expected)
    }

    @Test func closeInASecondConnectionFieldStillCloses() throws {
        let request = try #require(firstRequest("GET / HTTP/1.1\r\n\(host)Connection: keep-alive\r\nConnection: close\r\n\r\n"))
        #expect(request.keepAlive == false)
    }
}

@Suite("RequestParser: bodies")
struct RequestParserBodyTests {
    @Test func contentLengthBody() {
        let out = parse("POST /items HTTP/1.1\r\n\(host)Content-Length: 11\r\n\r\nhello world")
        #expect(out == [.request(Req("POST", "/items", headers: ["host: a", "content-length: 11"], body: "hello world"))])
    }

    @Test func zeroContentLengthCompletesAtOnce() {
        let out = parse("POST /x HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n")
        #expect(out == [.request(Req("POST", "/x", headers: ["host: a", "content-length: 0"]))])
    }

    @Test func contentLengthBodyIsNotCompleteUntilEveryByteArrived() {
        var parser = RequestParser()
        parser.append(Array("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nhell".utf8))
        #expect(drain(&parser) == [])
        parser.append(Array("o".utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/", headers: ["host: a", "content-length: 5"], body: "hello"))])
    }

    @Test func contentLengthBodyMayHoldAnyBytes() throws {
        // NUL, bare CR/LF and invalid UTF-8 are only forbidden in the head.
        let body: [UInt8] = [0, 13, 10, 13, 10, 0xFF, 10, 13, 127]
        let wire = Array("POST / HTTP/1.1\r\n\(host)Content-Length: \(body.count)\r\n\r\n".utf8) + body
        var parser = RequestParser()
        parser.append(wire)
        guard case .request(let request) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == body)
    }

    @Test func contentLengthWithLeadingZeros() throws {
        let request = try #require(firstRequest("POST / HTTP/1.1\r\n\(host)Content-Length: 0005\r\n\r\nhello"))
        #expect(request.body == Array("hello".utf8))
    }

    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5,5\r\nContent-Length: 5\r\n",
    ])
    func identicalDuplicateContentLengthsAreAccepted(fields: String) throws {
        // RFC 9112 §6.3: a list of identical values may be treated as that one value.
        let request = try #require(firstRequest("POST / HTTP/1.1\r\n\(host)\(fields)\r\nhelloGET"))
        #expect(request.body == Array("hello".utf8))
    }

    @Test func chunkedBody() {
        let out = parse("POST /c HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        #expect(out == [.request(Req("POST", "/c", headers: ["host: a", "transfer-encoding: chunked"], body: "hello world"))])
    }

    @Test func chunkExtensionsAreIgnored() {
        let chunks = "5;name=value\r\nhello\r\n6 ; a=\"quoted; x\" ;b\r\n world\r\n0;last=1\r\n\r\n"
        let out = parse("POST /c HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n" + chunks)
        #expect(out == [.request(Req("POST", "/c", headers: ["host: a", "transfer-encoding: chunked"], body: "hello world"))])
    }

    @Test func trailersAreAcceptedAndNotMergedIntoHeaders() {
        let chunks = "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n"
        let out = parse("POST /c HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n" + chunks + "GET /next HTTP/1.1\r\n\(host)\r\n")
        #expect(out == [
            .request(Req("POST", "/c", headers: ["host: a", "transfer-encoding: chunked"], body: "hello")),
            .request(Req("GET", "/next")),
        ])
    }

    @Test func chunkSizesAreHexInEitherCaseWithLeadingZeros() throws {
        let digits = "0123456789"
        let chunks = "A\r\n\(digits)\r\na\r\n\(digits)\r\n000f\r\n\(digits)abcde\r\n0\r\n\r\n"
        let request = try #require(firstRequest("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n" + chunks))
        #expect(request.body == Array((digits + digits + digits + "abcde").utf8))
    }

    @Test func emptyChunkedBody() {
        let out = parse("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(out == [.request(Req("POST", "/", headers: ["host: a", "transfer-encoding: chunked"]))])
    }

    @Test func transferCodingNamesAreCaseInsensitive() throws {
        let request = try #require(firstRequest("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
        #expect(request.body == Array("ok".utf8))
    }

    @Test func chunkDataMayHoldAnyBytes() throws {
        let data: [UInt8] = [0, 13, 10, 0xFF, 48, 13, 10, 13, 10]
        let wire = Array("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n9\r\n".utf8) + data + Array("\r\n0\r\n\r\n".utf8)
        var parser = RequestParser()
        parser.append(wire)
        guard case .request(let request) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == data)
    }

    @Test func largeBodyThroughTheUnsafeBufferAppend() {
        let body = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let wire = Array("PUT /blob HTTP/1.1\r\n\(host)Content-Length: \(body.count)\r\n\r\n".utf8) + body
        var parser = RequestParser()
        var out: [Outcome] = []
        var offset = 0
        while offset < wire.count {
            let end = min(offset + 8191, wire.count)
            wire[offset..<end].withUnsafeBytes { parser.append($0) }
            out += drain(&parser)
            offset = end
        }
        var expected = Req("PUT", "/blob", headers: ["host: a", "content-length: \(body.count)"])
        expected.body = body
        #expect(out == [.request(expected)])
        #expect(parser.isIdle)
    }
}

// MARK: - Splitting and pipelining

struct SplitCase: Sendable, CustomTestStringConvertible {
    var name: String
    var wire: [UInt8]
    var expected: [Outcome]
    var testDescription: String { name }

    static let chunked = SplitCase(
        name: "chunked with extensions and trailers",
        wire: Array(("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n").utf8),
        expected: [.request(Req("POST", "/upload", headers: ["host: a", "transfer-encoding: chunked"],
                                body: "Wikipedia in \r\n\r\nchunks."))])

    static let contentLength = SplitCase(
        name: "Content-Length body holding CRLFCRLF",
        wire: Array("PUT /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 14\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\nworld".utf8),
        expected: [.request(Req("PUT", "/doc", headers: ["host: a", "content-length: 14", "content-type: text/plain"],
                                body: "hello\r\n\r\nworld"))])

    static let pipelined = SplitCase(
        name: "four pipelined requests",
        wire: Array(("\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ndef\r\n0\r\n\r\n"
            + "HEAD /4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").utf8),
        expected: [
            .request(Req("GET", "/1")),
            .request(Req("POST", "/2", headers: ["host: a", "content-length: 3"], body: "abc")),
            .request(Req("POST", "/3", headers: ["host: a", "transfer-encoding: chunked"], body: "def")),
            .request(Req("HEAD", "/4", version: "HTTP/1.0", headers: ["connection: keep-alive"])),
        ])

    static let expectContinue = SplitCase(
        name: "Expect: 100-continue with a body",
        wire: Array("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody".utf8),
        expected: [.request(Req("POST", "/e", headers: ["host: a", "expect: 100-continue", "content-length: 4"], body: "body"))])

    static let all = [chunked, contentLength, pipelined, expectContinue]
}

@Suite("RequestParser: splitting and pipelining")
struct RequestParserSplitTests {
    @Test(arguments: SplitCase.all)
    func wholeInputParses(split: SplitCase) {
        #expect(withoutContinue(parse(split.wire)) == split.expected)
    }

    @Test(arguments: SplitCase.all)
    func everyTwoPartSplitGivesTheSameRequests(split: SplitCase) {
        for point in 0...split.wire.count {
            let out = parse(chunks: [Array(split.wire[..<point]), Array(split.wire[point...])])
            #expect(withoutContinue(out) == split.expected, "split at byte \(point)")
            // 100 Continue is only ever asked for once per request.
            #expect(out.filter(\.isContinue).count <= 1, "split at byte \(point)")
        }
    }

    @Test(arguments: SplitCase.all)
    func oneByteAtATimeGivesTheSameRequests(split: SplitCase) {
        #expect(withoutContinue(parseByteByByte(split.wire)) == split.expected)
    }

    @Test(arguments: SplitCase.all)
    func randomSplitsGiveTheSameRequests(split: SplitCase) {
        var rng = SplitMix64(seed: 7)
        for round in 0..<200 {
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < split.wire.count {
                let end = min(split.wire.count, offset + Int.random(in: 1...17, using: &rng))
                chunks.append(Array(split.wire[offset..<end]))
                offset = end
            }
            #expect(withoutContinue(parse(chunks: chunks)) == split.expected, "round \(round)")
        }
    }

    @Test func pipelinedRequestsComeOutOneAtATimeInOrder() {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let second = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
        let third = "DELETE /3 HTTP/1.1\r\nHost: a\r\n\r\n"
        var parser = RequestParser()
        parser.append(Array((first + second + third).utf8))
        #expect(parser.bufferedByteCount == (first + second + third).utf8.count)

        guard case .request(let r1) = parser.next() else { Issue.record("no first request"); return }
        #expect(r1.target == "/1")
        #expect(parser.bufferedByteCount == (second + third).utf8.count)
        #expect(!parser.isIdle)

        guard case .request(let r2) = parser.next() else { Issue.record("no second request"); return }
        #expect(r2.target == "/2")
        #expect(r2.body == Array("hi".utf8))
        #expect(parser.bufferedByteCount == third.utf8.count)

        guard case .request(let r3) = parser.next() else { Issue.record("no third request"); return }
        #expect(r3.method == .DELETE)
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.isIdle)
        guard case .needMoreData = parser.next() else { Issue.record("expected needMoreData"); return }
    }

    @Test func manyPipelinedRequestsWithLargeBodiesSurviveBufferCompaction() {
        // Bodies of 3000 bytes fed in 7001-byte reads: the parser compacts its buffer while
        // requests straddle reads, which must not lose or reorder anything.
        var wire: [UInt8] = []
        var expected: [Outcome] = []
        for i in 0..<300 {
            let body = [UInt8](repeating: UInt8(65 + i % 26), count: 3000)
            if i % 2 == 0 {
                wire += Array("POST /\(i) HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\n\r\n".utf8) + body
                var req = Req("POST", "/\(i)", headers: ["host: a", "content-length: 3000"])
                req.body = body
                expected.append(.request(req))
            } else {
                wire += Array("POST /\(i) HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n".utf8) + body
                    + Array("\r\n0\r\n\r\n".utf8)
                var req = Req("POST", "/\(i)", headers: ["host: a", "transfer-encoding: chunked"])
                req.body = body
                expected.append(.request(req))
            }
        }
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < wire.count {
            chunks.append(Array(wire[offset..<min(offset + 7001, wire.count)]))
            offset += 7001
        }
        let out = parse(chunks: chunks)
        #expect(out.count == expected.count)
        #expect(out == expected)
    }
}

// MARK: - Expect: 100-continue

@Suite("RequestParser: Expect")
struct RequestParserExpectTests {
    private static let head = "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
    private static let fields = ["host: a", "expect: 100-continue", "content-length: 5"]

    @Test func continueIsAskedForOnceWhileTheBodyIsHeldBack() {
        var parser = RequestParser()
        parser.append(Array(Self.head.utf8))
        #expect(drain(&parser) == [.continueExpected])
        #expect(parser.isReceivingBody)
        // Asking again does not repeat it.
        #expect(drain(&parser) == [])
        parser.append(Array("hel".utf8))
        #expect(drain(&parser) == [])
        parser.append(Array("lo".utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/e", headers: Self.fields, body: "hello"))])
    }

    @Test func noContinueWhenTheBodyCameWithTheHead() {
        #expect(parse(Self.head + "hello") == [.request(Req("POST", "/e", headers: Self.fields, body: "hello"))])
    }

    @Test func noContinueWithoutABody() {
        let out = parse("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
        #expect(out == [.request(Req("GET", "/", headers: ["host: a", "expect: 100-continue"]))])
    }

    @Test func continueOnAChunkedBody() {
        var parser = RequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        #expect(drain(&parser) == [.continueExpected])
        parser.append(Array("2\r\nok\r\n".utf8))
        #expect(drain(&parser) == [])
        parser.append(Array("0\r\n\r\n".utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/", headers: ["host: a", "expect: 100-Continue", "transfer-encoding: chunked"], body: "ok"))])
    }

    @Test func expectIsIgnoredOnHTTP10() {
        var parser = RequestParser()
        parser.append(Array("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        #expect(drain(&parser) == [])
        parser.append(Array("ok".utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/", version: "HTTP/1.0", headers: ["expect: 100-continue", "content-length: 2"], body: "ok", keepAlive: false))])
        // Not even an unknown expectation is refused on HTTP/1.0.
        #expect(failureStatus(parse("GET / HTTP/1.0\r\nExpect: teapot\r\n\r\n")) == nil)
    }

    @Test func eachPipelinedRequestGetsItsOwnContinue() {
        var parser = RequestParser()
        parser.append(Array(Self.head.utf8))
        #expect(drain(&parser) == [.continueExpected])
        parser.append(Array(("hello" + Self.head).utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/e", headers: Self.fields, body: "hello")), .continueExpected])
        parser.append(Array("world".utf8))
        #expect(drain(&parser) == [.request(Req("POST", "/e", headers: Self.fields, body: "world"))])
    }

    @Test(arguments: ["200-ok", "100-continue-please", "", "100-continue, foo"])
    func otherExpectationsAre417(value: String) {
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: \(value)\r\nContent-Length: 1\r\n\r\nx") == [.failure(417)])
    }
}

// MARK: - Rejections

struct FailureCase: Sendable, CustomTestStringConvertible {
    var name: String
    var wire: [UInt8]
    var status: Int
    var limits = ParserLimits()
    var testDescription: String { "\(name) → \(status)" }

    init(_ name: String, _ wire: String, _ status: Int, limits: ParserLimits = ParserLimits()) {
        self.init(name, Array(wire.utf8), status, limits: limits)
    }

    init(_ name: String, _ wire: [UInt8], _ status: Int, limits: ParserLimits = ParserLimits()) {
        self.name = name
        self.wire = wire
        self.status = status
        self.limits = limits
    }

    static func chunked(_ name: String, _ chunks: String, _ status: Int, limits: ParserLimits = ParserLimits()) -> FailureCase {
        FailureCase(name, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, status, limits: limits)
    }

    static func field(_ name: String, _ line: String, _ status: Int = 400) -> FailureCase {
        FailureCase(name, "GET / HTTP/1.1\r\nHost: a\r\n" + line + "\r\n\r\n", status)
    }

    static func contentLength(_ value: String, _ status: Int = 400) -> FailureCase {
        FailureCase("Content-Length \(value.debugDescription)", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\nhello", status)
    }

    static func transferEncoding(_ value: String, _ status: Int) -> FailureCase {
        FailureCase("Transfer-Encoding \(value.debugDescription)",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n5\r\nhello\r\n0\r\n\r\n", status)
    }

    static func requestLine(_ line: String, _ status: Int) -> FailureCase {
        FailureCase("request line \(line.debugDescription)", line + "\r\nHost: a\r\n\r\n", status)
    }

    static func version(_ version: String, _ status: Int) -> FailureCase {
        FailureCase("version \(version.debugDescription)", "GET / \(version)\r\nHost: a\r\n\r\n", status)
    }

    static func target(_ target: String, _ status: Int = 400) -> FailureCase {
        FailureCase("target \(target.debugDescription)", "GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", status)
    }

    static func host(_ value: String) -> FailureCase {
        FailureCase("Host \(value.debugDescription)", "GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n", 400)
    }

    /// Request smuggling and message framing (RFC 9112 §6).
    static let framing: [FailureCase] = [
        FailureCase("Content-Length then Transfer-Encoding",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        FailureCase("Transfer-Encoding then Content-Length",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n", 400),
        FailureCase("Transfer-Encoding on HTTP/1.0",
                    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        transferEncoding("chunked, gzip", 400),
        transferEncoding("gzip", 400),
        transferEncoding("identity", 400),
        transferEncoding("xchunked", 400),
        transferEncoding("chunked, chunked", 400),
        transferEncoding("", 400),
        transferEncoding(" , ", 400),
        FailureCase("chunked twice across two fields",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        FailureCase("chunked, then gzip in a second field",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400),
        // Chunked is final, but the coding before it is one we do not implement.
        transferEncoding("gzip, chunked", 501),
        transferEncoding("deflate, chunked", 501),
        FailureCase("Transfer-Encoding folded onto a second line",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400),
        FailureCase("Transfer-Encoding with space before the colon",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        FailureCase("differing Content-Length fields",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        contentLength("5, 6"),
        contentLength("5, "),
        contentLength("+5"),
        contentLength("-1"),
        contentLength("0x10"),
        contentLength("1 2"),
        contentLength(""),
        contentLength("5.0"),
        contentLength("five"),
        contentLength("1_000"),
        contentLength("1234567890123456789"),          // 19 digits
        contentLength("00000000000000000005"),         // 20 digits, even if small
        contentLength("999999999999999999", 413),      // 18 digits: well-formed, just too large
    ]

    /// Chunked framing.
    static let chunkedFraming: [FailureCase] = [
        chunked("chunk size 0x5", "0x5\r\nhello\r\n0\r\n\r\n", 400),
        chunked("chunk size +5", "+5\r\nhello\r\n0\r\n\r\n", 400),
        chunked("chunk size -5", "-5\r\nhello\r\n0\r\n\r\n", 400),
        chunked("chunk size g", "g\r\nhello\r\n0\r\n\r\n", 400),
        chunked("empty chunk size", "\r\nhello\r\n0\r\n\r\n", 400),
        chunked("chunk size with leading space", " 5\r\nhello\r\n0\r\n\r\n", 400),
        chunked("chunk size followed by junk", "5 x\r\nhello\r\n0\r\n\r\n", 400),
        chunked("NUL after chunk size", "5\0\r\nhello\r\n0\r\n\r\n", 400),
        chunked("control character in chunk extension", "5;a=\u{1}\r\nhello\r\n0\r\n\r\n", 400),
        chunked("bare CR in chunk extension", "5;a\rb\r\nhello\r\n0\r\n\r\n", 400),
        chunked("bare LF after chunk size", "5\nhello\r\n0\r\n\r\n", 400),
        chunked("16 hex digits", "1234567890abcdef\r\n", 413),
        chunked("17 hex digits", "10000000000000000\r\nhello\r\n0\r\n\r\n", 413),
        chunked("15 hex digits, over the body limit", "fffffffffffffff\r\nhello\r\n0\r\n\r\n", 413),
        chunked("chunk data followed by junk", "5\r\nhelloX\r\n0\r\n\r\n", 400),
        chunked("chunk data followed by bare LF", "5\r\nhello\n0\r\n\r\n", 400),
        chunked("chunk data longer than its size", "5\r\nhello world\r\n0\r\n\r\n", 400),
        chunked("trailer without colon", "0\r\nnot a field\r\n\r\n", 400),
        chunked("trailer folded", "0\r\nX: a\r\n folded\r\n\r\n", 400),
        chunked("control character in trailer", "0\r\nX: \u{1}\r\n\r\n", 400),
        chunked("bare LF ending the trailers", "0\r\n\n", 400),
    ]

    /// The head: syntax, Host, line endings, forbidden bytes.
    static let head: [FailureCase] = [
        field("obs-fold with a space", "X-A: one\r\n two"),
        field("obs-fold with a tab", "X-A: one\r\n\ttwo"),
        FailureCase("obs-fold as the first field line", "GET / HTTP/1.1\r\n X: a\r\nHost: a\r\n\r\n", 400),
        field("space between field name and colon", "X-A : one"),
        field("tab between field name and colon", "X-A\t: one"),
        field("field without colon", "NoColonHere"),
        field("empty field name", ": value"),
        field("invalid character in field name", "X@Y: value"),
        field("NUL in field name", "X\0Y: value"),
        field("NUL in field value", "X: a\0b"),
        field("SOH in field value", "X: a\u{1}b"),
        field("ESC in field value", "X: \u{1B}[31m"),
        field("DEL in field value", "X: a\u{7F}"),
        field("backspace in field value", "X: a\u{8}"),
        FailureCase("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        FailureCase("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        FailureCase("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        FailureCase("two Host fields on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        host("a b"),
        host("a/b"),
        host("user@a"),
        host("a\"b"),
        host("<script>"),
        host("a\\b"),
        FailureCase("bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", 400),
        FailureCase("bare LF after a field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
        FailureCase("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400),
        FailureCase("bare LF as the first byte", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        FailureCase("bare CR in the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
        FailureCase("bare CR in a field", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400),
        FailureCase("CR CR LF", "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400),
        FailureCase("NUL in the request line", "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        FailureCase("NUL before anything else", "\0", 400),
        FailureCase("invalid UTF-8 request line", [0xFF, 0xFE, 0x20, 0x2F, 0x20] + Array("HTTP/1.1\r\nHost: a\r\n\r\n".utf8), 400),
        FailureCase("TLS ClientHello", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03], 400),
    ]

    /// The request line: method, target, version.
    static let requestLine: [FailureCase] = [
        requestLine("FOO / HTTP/1.1", 501),
        requestLine("CONNECT example.com:443 HTTP/1.1", 501),
        requestLine("get / HTTP/1.1", 501),   // methods are case-sensitive: `get` is just an unknown method
        requestLine("Get / HTTP/1.1", 501),
        requestLine("G(T / HTTP/1.1", 400),
        requestLine("GET\t/ HTTP/1.1", 400),
        requestLine("GET  / HTTP/1.1", 400),
        requestLine(" GET / HTTP/1.1", 400),
        requestLine("GET / HTTP/1.1 ", 400),
        requestLine("GET /", 400),
        requestLine("GET", 400),
        version("HTTP/1.10", 400),
        version("HTTP/1", 400),
        version("http/1.1", 400),
        version("HTTP/1.x", 400),
        version("HTTP/11", 400),
        version("HTTP-1.1", 400),
        version("XTTP/1.1", 400),
        version("HTTP/ 1.1", 400),
        version("HTTP/2.0", 505),
        version("HTTP/9.9", 505),
        version("HTTP/0.9", 505),
        version("HTTP/3.0", 505),
        target("example.com/path"),
        target("ftp://example.com/"),
        target("https:/example.com/"),
        target("mailto:someone"),
        target("*"),
        target("/caf\u{E9}"),
        target("/a\u{7F}"),
    ]

    private static let small = ParserLimits.with {
        $0.maxRequestLine = 32
        $0.maxHeaderBytes = 64
        $0.maxHeaderCount = 3
        $0.maxBodyBytes = 16
        $0.maxChunkLine = 16
    }

    /// Every limit with its status.
    static let limits: [FailureCase] = [
        FailureCase("request line too long", "GET /\(String(repeating: "a", count: 40)) HTTP/1.1\r\nHost: a\r\n\r\n", 414, limits: small),
        FailureCase("request line too long, unterminated", "GET /\(String(repeating: "a", count: 40))", 414, limits: small),
        FailureCase("header section too large",
                    "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "b", count: 60))\r\n\r\n", 431, limits: small),
        FailureCase("header section too large, unterminated",
                    "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "b", count: 70))", 431, limits: small),
        FailureCase("too many header fields", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, limits: small),
        FailureCase("Content-Length over the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", 413, limits: small),
        chunked("one chunk over the limit", "11\r\n", 413, limits: small),
        chunked("chunks adding up to over the limit", "8\r\n12345678\r\n9\r\n", 413, limits: small),
        chunked("chunk line too long", "5;\(String(repeating: "e", count: 20))\r\nhello\r\n0\r\n\r\n", 400, limits: small),
        chunked("chunk line too long, unterminated", "5;\(String(repeating: "e", count: 20))", 400, limits: small),
        chunked("trailer section too large", "0\r\nX: \(String(repeating: "t", count: 70))\r\n\r\n", 431, limits: small),
        chunked("trailer section too large across fields",
                "0\r\nX: \(String(repeating: "t", count: 25))\r\nY: \(String(repeating: "t", count: 25))\r\nZ: \(String(repeating: "t", count: 25))\r\n\r\n",
                431, limits: small),
        FailureCase("unknown expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
    ]
}

@Suite("RequestParser: rejections")
struct RequestParserRejectionTests {
    @Test(arguments: FailureCase.framing)
    func framing(_ failure: FailureCase) { check(failure) }

    @Test(arguments: FailureCase.chunkedFraming)
    func chunkedFraming(_ failure: FailureCase) { check(failure) }

    @Test(arguments: FailureCase.head)
    func head(_ failure: FailureCase) { check(failure) }

    @Test(arguments: FailureCase.requestLine)
    func requestLine(_ failure: FailureCase) { check(failure) }

    @Test(arguments: FailureCase.limits)
    func limits(_ failure: FailureCase) { check(failure) }

    /// The failure comes out alone (no request before it), whether the bytes arrive at once or one
    /// at a time, and then sticks: the parser never recovers on the same connection.
    private func check(_ failure: FailureCase, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(parse(failure.wire, limits: failure.limits) == [.failure(failure.status)], sourceLocation: sourceLocation)
        #expect(withoutContinue(parseByteByByte(failure.wire, limits: failure.limits)) == [.failure(failure.status)],
                "one byte at a time", sourceLocation: sourceLocation)

        var parser = RequestParser(limits: failure.limits)
        parser.append(failure.wire)
        var first: HTTPParseError?
        for _ in 0..<10 {
            if case .failure(let error) = parser.next() { first = error; break }
        }
        guard let first else {
            Issue.record("no failure", sourceLocation: sourceLocation)
            return
        }
        #expect(first.status == failure.status, sourceLocation: sourceLocation)
        #expect(!first.reason.isEmpty, sourceLocation: sourceLocation)
        #expect(!parser.isIdle, sourceLocation: sourceLocation)
        #expect(!parser.isReceivingBody, sourceLocation: sourceLocation)
        for _ in 0..<3 {
            guard case .failure(let again) = parser.next() else {
                Issue.record("the failure did not stick", sourceLocation: sourceLocation)
                return
            }
            #expect(again == first, sourceLocation: sourceLocation)
        }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .failure(let after) = parser.next() else {
            Issue.record("a valid request after the failure was parsed", sourceLocation: sourceLocation)
            return
        }
        #expect(after == first, sourceLocation: sourceLocation)
    }
}

// MARK: - Limits at their boundaries

@Suite("RequestParser: limit boundaries")
struct RequestParserLimitTests {
    @Test func defaultLimits() {
        let limits = ParserLimits()
        #expect(limits.maxRequestLine == 8 * 1024)
        #expect(limits.maxHeaderBytes == 32 * 1024)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodyBytes == 1 << 20)
        #expect(limits.maxChunkLine == 256)
        #expect(RequestParser().limits == limits)
    }

    @Test func requestLineExactlyAtTheLimit() {
        let limits = ParserLimits.with { $0.maxRequestLine = 32 }
        let line = "GET /" + String(repeating: "a", count: 32 - "GET / HTTP/1.1".count) + " HTTP/1.1"
        #expect(line.utf8.count == 32)
        let wire = Array((line + "\r\nHost: a\r\n\r\n").utf8)
        let expected: [Outcome] = [.request(Req("GET", String(line.dropFirst(4).dropLast(9))))]
        #expect(parse(wire, limits: limits) == expected)
        #expect(parseByteByByte(wire, limits: limits) == expected)
        for point in 0...wire.count {
            #expect(parse(chunks: [Array(wire[..<point]), Array(wire[point...])], limits: limits) == expected, "split at \(point)")
        }

        let longer = Array(("GET /a" + line.dropFirst(5) + "\r\nHost: a\r\n\r\n").utf8)
        #expect(parse(longer, limits: limits) == [.failure(414)])
        #expect(parseByteByByte(longer, limits: limits) == [.failure(414)])
    }

    @Test func headerSectionExactlyAtTheLimit() {
        // The header section counts every field line with its CRLF, and the final empty line.
        // (`utf8.count`, not `count`: Swift counts "\r\n" as one Character.)
        let padding = 40 - "Host: a\r\nX: \r\n\r\n".utf8.count
        let fields = "Host: a\r\nX: " + String(repeating: "b", count: padding) + "\r\n\r\n"
        #expect(fields.utf8.count == 40)
        let limits = ParserLimits.with { $0.maxHeaderBytes = 40 }
        let wire = Array(("GET / HTTP/1.1\r\n" + fields).utf8)
        #expect(failureStatus(parse(wire, limits: limits)) == nil)
        #expect(failureStatus(parseByteByByte(wire, limits: limits)) == nil)
        let over = Array(("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: padding + 1) + "\r\n\r\n").utf8)
        #expect(parse(over, limits: limits) == [.failure(431)])
        #expect(parseByteByByte(over, limits: limits) == [.failure(431)])
    }

    @Test func headerCountExactlyAtTheLimit() {
        let limits = ParserLimits.with { $0.maxHeaderCount = 3 }
        #expect(failureStatus(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits)) == nil)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == [.failure(431)])
    }

    @Test func contentLengthExactlyAtTheLimit() {
        let limits = ParserLimits.with { $0.maxBodyBytes = 16 }
        let body = String(repeating: "x", count: 16)
        let out = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n" + body, limits: limits)
        #expect(out == [.request(Req("POST", "/", headers: ["host: a", "content-length: 16"], body: body))])
        // Over it, the answer comes from the head alone: the body is never read.
        var parser = RequestParser(limits: limits)
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n".utf8))
        #expect(drain(&parser) == [.failure(413)])
    }

    @Test func chunkedBodyExactlyAtTheLimit() {
        let limits = ParserLimits.with { $0.maxBodyBytes = 16 }
        let out = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\nabcdefgh\r\n0\r\n\r\n", limits: limits)
        #expect(out == [.request(Req("POST", "/", headers: ["host: a", "transfer-encoding: chunked"], body: "12345678abcdefgh"))])
        // The size line alone is enough to refuse: the oversized chunk's data is never buffered.
        var parser = RequestParser(limits: limits)
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n".utf8))
        #expect(drain(&parser) == [.failure(413)])
    }

    @Test func chunkLineExactlyAtTheLimit() {
        let limits = ParserLimits.with { $0.maxChunkLine = 16 }
        let line = "5;" + String(repeating: "e", count: 14)
        let wire = Array(("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + line + "\r\nhello\r\n0\r\n\r\n").utf8)
        #expect(failureStatus(parse(wire, limits: limits)) == nil)
        #expect(failureStatus(parseByteByByte(wire, limits: limits)) == nil)
        let over = Array(("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + line + "e\r\nhello\r\n0\r\n\r\n").utf8)
        #expect(parse(over, limits: limits) == [.failure(400)])
        #expect(parseByteByByte(over, limits: limits) == [.failure(400)])
    }

    @Test func aLongUnterminatedRequestLineIsRefusedWithoutWaitingForItsEnd() {
        var parser = RequestParser(limits: ParserLimits.with { $0.maxRequestLine = 100 })
        parser.append(Array("GET /".utf8))
        for _ in 0..<95 {
            parser.append([UInt8(ascii: "a")])
            guard case .needMoreData = parser.next() else {
                Issue.record("refused too early")
                return
            }
        }
        parser.append([UInt8(ascii: "a"), UInt8(ascii: "a")])
        #expect(drain(&parser) == [.failure(414)])
    }
}

// MARK: - State accessors

@Suite("RequestParser: state")
struct RequestParserStateTests {
    @Test func idleReceivingBodyAndBufferedBytes() {
        var parser = RequestParser()
        #expect(parser.isIdle)
        #expect(!parser.isReceivingBody)
        #expect(parser.bufferedByteCount == 0)
        guard case .needMoreData = parser.next() else { Issue.record("expected needMoreData"); return }

        let partialHead = "POST / HTTP/1.1\r\nHost: a\r\n"
        parser.append(Array(partialHead.utf8))
        #expect(!parser.isIdle)
        #expect(parser.bufferedByteCount == partialHead.utf8.count)
        #expect(drain(&parser) == [])
        #expect(!parser.isIdle)
        #expect(!parser.isReceivingBody)

        parser.append(Array("Content-Length: 5\r\n\r\nhe".utf8))
        #expect(drain(&parser) == [])
        #expect(parser.isReceivingBody)
        #expect(!parser.isIdle)
        #expect(parser.bufferedByteCount == 0)   // body bytes are taken into the request as they come

        parser.append(Array("lloGET /next".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("expected a request"); return }
        #expect(request.body == Array("hello".utf8))
        #expect(!parser.isReceivingBody)
        #expect(!parser.isIdle)
        #expect(parser.bufferedByteCount == "GET /next".utf8.count)

        parser.append(Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .request(let next) = parser.next() else { Issue.record("expected a request"); return }
        #expect(next.target == "/next")
        #expect(parser.isIdle)
        #expect(parser.bufferedByteCount == 0)

        // Still receiving the body while only the trailers are missing.
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".utf8))
        #expect(drain(&parser) == [])
        #expect(parser.isReceivingBody)
        parser.append(Array("\r\n".utf8))
        #expect(drain(&parser).count == 1)
        #expect(parser.isIdle)
        #expect(!parser.isReceivingBody)

        parser.append(Array("BAD\0".utf8))
        #expect(drain(&parser) == [.failure(400)])
        #expect(!parser.isIdle)
        #expect(!parser.isReceivingBody)
    }

    @Test func leftoverEmptyLinesAreNotARequest() {
        var parser = RequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n".utf8))
        #expect(drain(&parser).count == 1)
        // The trailing CRLF is skipped by the next call: nothing pending, the connection is idle.
        #expect(drain(&parser) == [])
        #expect(parser.isIdle)
    }
}

// MARK: - Robustness

@Suite("RequestParser: robustness")
struct RequestParserFuzzTests {
    /// Mutated versions of valid requests: the parser must never trap, must always settle, and
    /// must reach the same result however the bytes are split.
    @Test func mutatedRequestsParseTheSameHoweverTheyAreSplit() {
        let seeds: [[UInt8]] = SplitCase.all.map(\.wire) + [
            Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8),
            Array("OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nok".utf8),
            Array("GET http://x/y HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n".utf8),
        ]
        let interesting: [UInt8] = [13, 10, 0, 32, 9, 58, 44, 59, 48, 49, 56, 97, 70, 102, 0xFF, 0x7F, 0x80, 43, 45, 120, 42, 47]
        var rng = SplitMix64(seed: 0x4B69_7468)
        var mismatches = 0
        for iteration in 0..<3000 {
            var wire = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !wire.isEmpty {
                let at = Int.random(in: 0..<wire.count, using: &rng)
                let byte = Bool.random(using: &rng) ? interesting[Int.random(in: 0..<interesting.count, using: &rng)] : UInt8.random(in: 0...255, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: wire[at] = byte
                case 1: wire.insert(byte, at: at)
                case 2: wire.remove(at: at)
                default:
                    let end = min(wire.count, at + Int.random(in: 1...12, using: &rng))
                    wire.insert(contentsOf: wire[at..<end], at: at)
                }
            }
            let whole = withoutContinue(parse(wire))
            let bytes = withoutContinue(parseByteByByte(wire))
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < wire.count {
                let end = min(wire.count, offset + Int.random(in: 1...9, using: &rng))
                chunks.append(Array(wire[offset..<end]))
                offset = end
            }
            let random = withoutContinue(parse(chunks: chunks))
            if whole != bytes || whole != random {
                mismatches += 1
                Issue.record("iteration \(iteration): \(wire) whole=\(whole) byteByByte=\(bytes) random=\(random)")
                if mismatches >= 5 { return }
            }
        }
    }
}

// MARK: - Helpers

private func firstRequest(_ wire: String) -> HTTPRequest? {
    var parser = RequestParser()
    parser.append(Array(wire.utf8))
    for _ in 0..<10 {
        switch parser.next() {
        case .request(let request): return request
        case .continueExpected: continue
        case .needMoreData, .failure: return nil
        }
    }
    return nil
}

/// A parsed request reduced to plain, comparable values.
struct Req: Equatable, Sendable, CustomStringConvertible {
    var method: String
    var target: String
    var version: String
    var headers: [String]
    var body: [UInt8]
    var keepAlive: Bool

    init(_ method: String, _ target: String, version: String = "HTTP/1.1", headers: [String] = ["host: a"],
         body: String = "", keepAlive: Bool = true) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = Array(body.utf8)
        self.keepAlive = keepAlive
    }

    init(_ request: HTTPRequest) {
        method = request.method.rawValue
        target = request.target
        version = request.version.description
        headers = request.headers.map { "\($0.name): \($0.value)" }
        body = request.body
        keepAlive = request.keepAlive
    }

    var description: String {
        "\(method) \(target) \(version) \(headers) body=\(String(decoding: body, as: UTF8.self).debugDescription) keepAlive=\(keepAlive)"
    }
}

/// What `next()` said, reduced to comparable values. A failure is kept by status.
enum Outcome: Equatable, Sendable, CustomStringConvertible {
    case request(Req)
    case continueExpected
    case failure(Int)

    var description: String {
        switch self {
        case .request(let r): "request(\(r))"
        case .continueExpected: "continueExpected"
        case .failure(let s): "failure(\(s))"
        }
    }

    var isContinue: Bool { if case .continueExpected = self { true } else { false } }
}

/// Calls `next()` until it needs more data or fails.
func drain(_ parser: inout RequestParser) -> [Outcome] {
    var out: [Outcome] = []
    for _ in 0..<100_000 {
        switch parser.next() {
        case .needMoreData: return out
        case .continueExpected: out.append(.continueExpected)
        case .request(let request): out.append(.request(Req(request)))
        case .failure(let error):
            out.append(.failure(error.status))
            return out
        }
    }
    Issue.record("parser did not settle after 100000 calls to next()")
    return out
}

/// Feeds the chunks one after the other, draining after each; stops at the first failure.
func parse(chunks: [[UInt8]], limits: ParserLimits = ParserLimits()) -> [Outcome] {
    var parser = RequestParser(limits: limits)
    var out: [Outcome] = []
    for chunk in chunks {
        parser.append(chunk)
        out += drain(&parser)
        if case .failure = out.last { break }
    }
    return out
}

func parse(_ wire: [UInt8], limits: ParserLimits = ParserLimits()) -> [Outcome] {
    parse(chunks: [wire], limits: limits)
}

func parse(_ wire: String, limits: ParserLimits = ParserLimits()) -> [Outcome] {
    parse(Array(wire.utf8), limits: limits)
}

/// One byte per `append`.
func parseByteByByte(_ wire: [UInt8], limits: ParserLimits = ParserLimits()) -> [Outcome] {
    parse(chunks: wire.map { [$0] }, limits: limits)
}

/// The failure status if parsing fails, nil if it does not.
func failureStatus(_ outcomes: [Outcome]) -> Int? {
    if case .failure(let status) = outcomes.last { return status }
    return nil
}

func withoutContinue(_ outcomes: [Outcome]) -> [Outcome] { outcomes.filter { !$0.isContinue } }

/// Deterministic generator so fuzz-style tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension ParserLimits {
    static func with(_ change: (inout ParserLimits) -> Void) -> ParserLimits {
        var limits = ParserLimits()
        change(&limits)
        return limits
    }
}
