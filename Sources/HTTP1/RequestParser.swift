/// Limits the parser enforces. Each breach has its own status (see `HTTPParseError`).
public struct ParserLimits: Sendable, Equatable {
    /// Longest request line, in bytes (414 beyond it).
    public var maxRequestLine: Int = 8 * 1024
    /// Largest header section after the request line, in bytes (431 beyond it).
    public var maxHeaderBytes: Int = 32 * 1024
    /// Most header fields in one request (431 beyond it).
    public var maxHeaderCount: Int = 100
    /// Largest request body after de-chunking, in bytes (413 beyond it).
    public var maxBodyBytes: Int = 1 << 20
    /// Longest chunk-size line including extensions (400 beyond it).
    public var maxChunkLine: Int = 256

    public init() {}
}

/// An incremental HTTP/1.1 request parser: a pure state machine fed with bytes as they arrive,
/// split anywhere. It never does I/O and never traps on input.
///
/// Usage: `append` what was read, then call `next()` until it says `.needMoreData`.
/// Requests come out whole (head and de-chunked body), one at a time and in order, which is what
/// keeps pipelined requests answered in order.
public struct RequestParser: Sendable {
    public enum Event: Sendable {
        /// A complete request.
        case request(HTTPRequest)
        /// The head of a request with `Expect: 100-continue` is complete and its body has not all
        /// arrived: the server should send `100 Continue` now. Emitted at most once per request.
        case continueExpected
        /// Nothing complete yet.
        case needMoreData
        /// The input is not a valid request; answer with `status` and close the connection.
        case failure(HTTPParseError)
    }

    private struct Head {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        var headers: HTTPHeaders
        var keepAlive: Bool
        var expectsContinue: Bool
    }

    private enum State {
        case head
        case fixedBody(Head, remaining: Int)
        case chunkSize(Head)
        case chunkData(Head, remaining: Int)
        case chunkDataEnd(Head)
        case trailers(Head, bytes: Int)
        case failed(HTTPParseError)
    }

    public let limits: ParserLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the end of the head resumes, so each byte is scanned once.
    private var scanIndex = 0
    private var state: State = .head
    private var body: [UInt8] = []
    private var continueSignalled = false

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
    }

    /// Adds bytes read from the connection.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// True when no part of a request has been received: the connection is idle between requests.
    public var isIdle: Bool {
        if case .head = state { return readIndex == buffer.count }
        return false
    }

    /// True while the head of the current request is complete and its body is still arriving.
    public var isReceivingBody: Bool {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        case .head, .failed: return false
        }
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func next() -> Event {
        while true {
            switch state {
            case .failed(let error):
                return .failure(error)
            case .head:
                if readIndex == buffer.count { return .needMoreData }
                switch parseHead() {
                case .needMoreData: return .needMoreData
                case .failure(let error): return fail(error)
                case .head(let head, let framing):
                    continueSignalled = false
                    body = []
                    switch framing {
                    case .none:
                        return .request(finish(head))
                    case .length(let n):
                        state = .fixedBody(head, remaining: n)
                    case .chunked:
                        state = .chunkSize(head)
                    }
                }
            case .fixedBody(let head, let remaining):
                let available = min(remaining, buffer.count - readIndex)
                if available > 0 {
                    body.append(contentsOf: buffer[readIndex..<(readIndex + available)])
                    readIndex += available
                }
                if remaining - available == 0 { return .request(finish(head)) }
                state = .fixedBody(head, remaining: remaining - available)
                if let signal = continueIfExpected(head) { return signal }
                return .needMoreData
            case .chunkSize(let head):
                switch readLine(limit: limits.maxChunkLine, tooLong: .bad("chunk size line too long")) {
                case .needMoreData:
                    if let signal = continueIfExpected(head) { return signal }
                    return .needMoreData
                case .failure(let error): return fail(error)
                case .line(let start, let end):
                    switch parseChunkSize(start, end) {
                    case .failure(let error): return fail(error)
                    case .size(0): state = .trailers(head, bytes: 0)
                    case .size(let size):
                        if size > limits.maxBodyBytes - body.count { return fail(.bodyTooLarge) }
                        state = .chunkData(head, remaining: size)
                    }
                }
            case .chunkData(let head, let remaining):
                let available = min(remaining, buffer.count - readIndex)
                if available > 0 {
                    body.append(contentsOf: buffer[readIndex..<(readIndex + available)])
                    readIndex += available
                }
                if remaining - available == 0 {
                    state = .chunkDataEnd(head)
                } else {
                    state = .chunkData(head, remaining: remaining - available)
                    return .needMoreData
                }
            case .chunkDataEnd(let head):
                guard buffer.count - readIndex >= 2 else { return .needMoreData }
                guard buffer[readIndex] == 13, buffer[readIndex + 1] == 10 else {
                    return fail(.bad("chunk data not followed by CRLF"))
                }
                readIndex += 2
                state = .chunkSize(head)
            case .trailers(let head, let bytes):
                switch readLine(limit: limits.maxHeaderBytes - bytes, tooLong: .headersTooLarge) {
                case .needMoreData: return .needMoreData
                case .failure(let error): return fail(error)
                case .line(let start, let end):
                    if start == end { return .request(finish(head)) }
                    // Trailer fields are checked like header fields, then dropped: Kith uses none.
                    if case .failure(let error) = parseField(start, end) { return fail(error) }
                    state = .trailers(head, bytes: bytes + (end - start) + 2)
                }
            }
        }
    }

    // MARK: - Head

    private enum Framing { case none, length(Int), chunked }
    private enum HeadResult { case needMoreData, failure(HTTPParseError), head(Head, Framing) }

    private mutating func parseHead() -> HeadResult {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        while buffer.count - readIndex >= 2, buffer[readIndex] == 13, buffer[readIndex + 1] == 10 {
            readIndex += 2
            scanIndex = readIndex
        }
        if scanIndex < readIndex { scanIndex = readIndex }

        // Find CRLFCRLF, checking every byte once: bare CR, bare LF and NUL are refused here.
        var end = -1
        var firstLineEnd = -1
        let scanResult: HTTPParseError? = buffer.withUnsafeBufferPointer { bytes in
            var i = scanIndex
            while i < bytes.count {
                let byte = bytes[i]
                if byte == 10 {
                    if i == readIndex || bytes[i - 1] != 13 { return .bad("bare LF in header section") }
                    if i - readIndex >= 3, bytes[i - 2] == 10, bytes[i - 3] == 13 {
                        end = i + 1
                        return nil
                    }
                } else if byte == 0 {
                    return .bad("NUL byte in header section")
                } else if i > readIndex, bytes[i - 1] == 13 {
                    return .bad("bare CR in header section")
                }
                i += 1
            }
            scanIndex = i
            return nil
        }
        if let scanResult { return .failure(scanResult) }

        // Where does the request line end (if it has)?
        let searchEnd = end >= 0 ? end : buffer.count
        if let lf = buffer[readIndex..<searchEnd].firstIndex(of: 10) { firstLineEnd = lf - 1 }

        if end < 0 {
            let pending = buffer.count - readIndex
            if firstLineEnd < 0 {
                // Allow one byte for a CR still waiting for its LF: otherwise a line exactly at the
                // limit would be refused or not depending on where the bytes were split.
                return pending > limits.maxRequestLine + 1 ? .failure(.uriTooLong) : .needMoreData
            }
            if firstLineEnd - readIndex > limits.maxRequestLine { return .failure(.uriTooLong) }
            let headerBytes = buffer.count - (firstLineEnd + 2)
            return headerBytes > limits.maxHeaderBytes ? .failure(.headersTooLarge) : .needMoreData
        }
        if firstLineEnd - readIndex > limits.maxRequestLine { return .failure(.uriTooLong) }
        if end - (firstLineEnd + 2) > limits.maxHeaderBytes { return .failure(.headersTooLarge) }

        let result = buildHead(lineStart: readIndex, lineEnd: firstLineEnd, headEnd: end)
        readIndex = end
        scanIndex = end
        return result
    }

    private func buildHead(lineStart: Int, lineEnd: Int, headEnd: Int) -> HeadResult {
        // Request line: method SP request-target SP HTTP-version, single spaces.
        let line = buffer[lineStart..<lineEnd]
        guard let sp1 = line.firstIndex(of: 32) else { return .failure(.bad("malformed request line")) }
        guard let sp2 = line[(sp1 + 1)...].firstIndex(of: 32) else { return .failure(.bad("malformed request line")) }
        let methodBytes = line[lineStart..<sp1]
        let targetBytes = line[(sp1 + 1)..<sp2]
        let versionBytes = line[(sp2 + 1)...]

        guard !methodBytes.isEmpty, methodBytes.allSatisfy(isTokenByte) else {
            return .failure(.bad("malformed method"))
        }
        let methodName = String(decoding: methodBytes, as: UTF8.self)
        guard let method = HTTPMethod(rawValue: methodName) else { return .failure(.unknownMethod) }

        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return .failure(.bad("malformed request target"))
        }
        let target: String
        if targetBytes.first == UInt8(ascii: "/") {
            target = String(decoding: targetBytes, as: UTF8.self)
        } else if targetBytes.count == 1, targetBytes.first == UInt8(ascii: "*"), method == .OPTIONS {
            target = "*"
        } else if let path = Self.originForm(ofAbsolute: targetBytes) {
            target = path
        } else {
            return .failure(.bad("request target must be origin-form"))
        }

        guard let version = parseVersion(versionBytes) else { return .failure(.bad("malformed HTTP version")) }
        guard version.major == 1 else { return .failure(.badVersion) }

        // Header fields.
        var headers = HTTPHeaders()
        var index = lineEnd + 2
        while index < headEnd - 2 {
            guard let lf = buffer[index..<headEnd].firstIndex(of: 10) else { break }
            let fieldEnd = lf - 1
            if buffer[index] == 32 || buffer[index] == 9 { return .failure(.bad("obsolete line folding in header")) }
            switch parseField(index, fieldEnd) {
            case .failure(let error): return .failure(error)
            case .field(let name, let value):
                headers.add(name, value)
                if headers.count > limits.maxHeaderCount { return .failure(.tooManyHeaders) }
            }
            index = lf + 1
        }
        return semantics(method: method, target: target, version: version, headers: headers)
    }

    private func semantics(method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders) -> HeadResult {
        // Host (RFC 9112 §3.2): exactly one on HTTP/1.1, and a plausible authority.
        let hosts = headers.values("host")
        if version.minor >= 1 && hosts.count != 1 { return .failure(.bad(hosts.isEmpty ? "missing Host header" : "more than one Host header")) }
        if hosts.count > 1 { return .failure(.bad("more than one Host header")) }
        if let host = hosts.first, !host.utf8.allSatisfy(Self.isHostByte) { return .failure(.bad("invalid Host header")) }

        // Framing (RFC 9112 §6): Transfer-Encoding and Content-Length never together.
        let transferEncodings = headers.values("transfer-encoding")
        let contentLengths = headers.values("content-length")
        var framing = Framing.none
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty { return .failure(.bad("both Transfer-Encoding and Content-Length")) }
            if version.minor == 0 { return .failure(.bad("Transfer-Encoding in an HTTP/1.0 request")) }
            let codings = headers.tokens("transfer-encoding")
            if codings.isEmpty { return .failure(.bad("empty Transfer-Encoding")) }
            // RFC 9112 §6.3: if chunked is not the final coding the body length cannot be determined,
            // and the server MUST answer 400 (not 501, whatever the other codings are).
            if codings.last != "chunked" { return .failure(.bad("chunked is not the final transfer coding")) }
            if codings.contains(where: { $0 != "chunked" }) { return .failure(.unsupportedTransferCoding) }
            if codings.count > 1 { return .failure(.bad("chunked applied more than once")) }
            framing = .chunked
        } else if !contentLengths.isEmpty {
            var length: Int?
            for value in contentLengths {
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let text = part.trimmingOWS()
                    guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                          let n = Int(text)
                    else { return .failure(.bad("malformed Content-Length")) }
                    if let length, length != n { return .failure(.bad("conflicting Content-Length values")) }
                    length = n
                }
            }
            guard let length else { return .failure(.bad("malformed Content-Length")) }
            if length > limits.maxBodyBytes { return .failure(.bodyTooLarge) }
            framing = length == 0 ? .none : .length(length)
        }

        // Expect (RFC 9110 §10.1.1): 100-continue only; ignored on HTTP/1.0.
        var expectsContinue = false
        if version.minor >= 1, let expect = headers["expect"] {
            guard expect.trimmingOWS().lowercased() == "100-continue" else { return .failure(.expectationFailed) }
            expectsContinue = true
        }

        // Persistence (RFC 9112 §9.3).
        let connection = headers.tokens("connection")
        let keepAlive = version.minor >= 1 ? !connection.contains("close") : connection.contains("keep-alive")

        let head = Head(method: method, target: target, version: version, headers: headers,
                        keepAlive: keepAlive, expectsContinue: expectsContinue)
        return .head(head, framing)
    }

    private enum FieldResult { case failure(HTTPParseError), field(String, String) }

    /// One `name: value` line between `start` and `end` (exclusive of CRLF).
    private func parseField(_ start: Int, _ end: Int) -> FieldResult {
        guard let colon = buffer[start..<end].firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(.bad("header field without a colon"))
        }
        let nameBytes = buffer[start..<colon]
        guard !nameBytes.isEmpty, nameBytes.allSatisfy(isTokenByte) else {
            return .failure(.bad("invalid header field name"))
        }
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd, buffer[valueStart] == 32 || buffer[valueStart] == 9 { valueStart += 1 }
        while valueEnd > valueStart, buffer[valueEnd - 1] == 32 || buffer[valueEnd - 1] == 9 { valueEnd -= 1 }
        let valueBytes = buffer[valueStart..<valueEnd]
        guard valueBytes.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
            return .failure(.bad("control character in header field value"))
        }
        let name = String(decoding: nameBytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        return .field(name, String(decoding: valueBytes, as: UTF8.self))
    }

    private func parseVersion(_ bytes: ArraySlice<UInt8>) -> HTTPVersion? {
        guard bytes.count == 8 else { return nil }
        let b = Array(bytes)
        guard b[0] == 72, b[1] == 84, b[2] == 84, b[3] == 80, b[4] == 47, b[6] == 46,
              (48...57).contains(b[5]), (48...57).contains(b[7]) else { return nil }
        return HTTPVersion(major: Int(b[5] - 48), minor: Int(b[7] - 48))
    }

    /// `http://host/path?q` becomes `/path?q` (RFC 9112 §3.2.2); nil if not an http(s) URI.
    private static func originForm(ofAbsolute bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let lower = text.lowercased()
        let prefix: String
        if lower.hasPrefix("http://") { prefix = "http://" } else if lower.hasPrefix("https://") { prefix = "https://" } else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let path = String(rest[slash...])
        return path.hasPrefix("?") ? "/" + path : path
    }

    // MARK: - Chunked body

    private enum LineResult { case needMoreData, failure(HTTPParseError), line(Int, Int) }

    /// The next CRLF-terminated line at `readIndex`; consumes it.
    private mutating func readLine(limit: Int, tooLong: HTTPParseError) -> LineResult {
        let available = buffer.count - readIndex
        let window = min(available, limit + 2)
        guard let lf = buffer[readIndex..<(readIndex + window)].firstIndex(of: 10) else {
            return available > limit + 1 ? .failure(tooLong) : .needMoreData
        }
        guard lf > readIndex, buffer[lf - 1] == 13 else { return .failure(.bad("bare LF in chunked framing")) }
        let start = readIndex
        readIndex = lf + 1
        if buffer[start..<(lf - 1)].contains(13) { return .failure(.bad("bare CR in chunked framing")) }
        return .line(start, lf - 1)
    }

    private enum ChunkSize { case failure(HTTPParseError), size(Int) }

    private func parseChunkSize(_ start: Int, _ end: Int) -> ChunkSize {
        var size = 0
        var index = start
        while index < end, let digit = Self.hexValue(buffer[index]) {
            if index - start >= 15 { return .failure(.bodyTooLarge) }
            size = size * 16 + digit
            index += 1
        }
        if index == start { return .failure(.bad("malformed chunk size")) }
        // Anything after the size must be chunk extensions (`;name[=value]`), which we ignore.
        while index < end, buffer[index] == 32 || buffer[index] == 9 { index += 1 }
        if index < end {
            guard buffer[index] == UInt8(ascii: ";") else { return .failure(.bad("malformed chunk size")) }
            guard buffer[index..<end].allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
                return .failure(.bad("control character in chunk extension"))
            }
        }
        return .size(size)
    }

    // MARK: - Helpers

    private mutating func finish(_ head: Head) -> HTTPRequest {
        state = .head
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, body: body, keepAlive: head.keepAlive)
        body = []
        return request
    }

    private mutating func fail(_ error: HTTPParseError) -> Event {
        state = .failed(error)
        return .failure(error)
    }

    private mutating func continueIfExpected(_ head: Head) -> Event? {
        guard head.expectsContinue, !continueSignalled else { return nil }
        continueSignalled = true
        return .continueExpected
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so memory stays bounded
    /// by what one request may hold.
    private mutating func compactIfWorthIt() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            scanIndex = 0
            readIndex = 0
        } else if readIndex >= 4096, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    @inline(__always)
    private func isTokenByte(_ byte: UInt8) -> Bool { Self.tokenTable[Int(byte)] }

    /// RFC 9110 tchar.
    private static let tokenTable: [Bool] = (0..<256).map { value in
        let c = UInt8(value)
        if (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(c)
    }

    /// Characters of an authority: reg-name, IP literal and port.
    private static func isHostByte(_ c: UInt8) -> Bool {
        if (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) { return true }
        return "-._~!$&'()*+,;=:[]%".utf8.contains(c)
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 65...70: return Int(c - 55)
        case 97...102: return Int(c - 87)
        default: return nil
        }
    }
}
