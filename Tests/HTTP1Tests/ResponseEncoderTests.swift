import HTTP1
import Testing

@Suite("ResponseEncoder")
struct ResponseEncoderTests {
    private static let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    private func encode(_ response: HTTPResponse, omitBody: Bool = false, close: Bool = false) -> String {
        var out: [UInt8] = []
        ResponseEncoder.encode(response, omitBody: omitBody, close: close, date: Self.date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func okWithBody() {
        var response = HTTPResponse(status: 200, body: Array("{\"ok\":true}".utf8))
        response.headers.add("Content-Type", "application/json")
        #expect(encode(response) == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
    }

    @Test func emptyBodyStillGetsContentLengthZero() {
        #expect(encode(HTTPResponse(status: 200)) == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nContent-Length: 0\r\n\r\n")
        #expect(encode(HTTPResponse(status: 404)) == "HTTP/1.1 404 Not Found\r\nDate: \(Self.date)\r\nContent-Length: 0\r\n\r\n")
    }

    @Test(arguments: [0, 1, 9, 10, 99, 100, 12_345, 1_048_576])
    func contentLengthMatchesTheBody(size: Int) {
        let body = [UInt8](repeating: 120, count: size)
        var out: [UInt8] = []
        ResponseEncoder.encode(HTTPResponse(status: 200, body: body), omitBody: false, close: false, date: Self.date, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains("\r\nContent-Length: \(size)\r\n\r\n"))
        #expect(out.count == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nContent-Length: \(size)\r\n\r\n".utf8.count + size)
        #expect(Array(out.suffix(size)) == body)
    }

    @Test(arguments: [100, 101, 103, 204, 304])
    func noContentLengthOrBodyWhereNoneIsAllowed(status: Int) {
        let text = encode(HTTPResponse(status: status, body: Array("must not be sent".utf8)))
        #expect(text.hasPrefix("HTTP/1.1 \(status) "))
        #expect(!text.contains("Content-Length"))
        #expect(!text.contains("must not be sent"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func headKeepsContentLengthButOmitsTheBody() {
        let text = encode(HTTPResponse(status: 200, body: Array("twelve bytes".utf8)), omitBody: true)
        #expect(text == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nContent-Length: 12\r\n\r\n")
    }

    @Test func connectionCloseOnlyWhenAsked() {
        let closing = encode(HTTPResponse(status: 400, body: Array("x".utf8)), close: true)
        #expect(closing == "HTTP/1.1 400 Bad Request\r\nDate: \(Self.date)\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
        #expect(!encode(HTTPResponse(status: 200)).contains("Connection"))
        // Also on responses without a body.
        #expect(encode(HTTPResponse(status: 204), close: true).contains("\r\nConnection: close\r\n\r\n"))
    }

    @Test func dateComesRightAfterTheStatusLine() {
        let text = encode(HTTPResponse(status: 201))
        #expect(text.hasPrefix("HTTP/1.1 201 Created\r\nDate: \(Self.date)\r\n"))
    }

    @Test func applicationHeadersKeepTheirOrderAndDuplicates() {
        var response = HTTPResponse(status: 200)
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("X-One", "1")
        response.headers.add("Set-Cookie", "b=2")
        #expect(encode(response).contains("\r\nSet-Cookie: a=1\r\nX-One: 1\r\nSet-Cookie: b=2\r\n"))
    }

    @Test(arguments: ["evil\r\nSet-Cookie: session=stolen", "evil\nSet-Cookie: session=stolen", "evil\rSet-Cookie: session=stolen",
                      "evil\r\n\r\nHTTP/1.1 200 OK", "nul\0byte"])
    func crLfAndNulInHeaderValuesCannotSplitTheResponse(value: String) {
        var response = HTTPResponse(status: 302)
        response.headers.add("Location", value)
        response.headers.add("X-Evil\r\nInjected", "name")
        var out: [UInt8] = []
        ResponseEncoder.encode(response, omitBody: false, close: false, date: Self.date, into: &out)
        #expect(!out.contains(0))
        let text = String(decoding: out, as: UTF8.self)
        // Exactly the lines we expect: status, Date, Location, X-Evil, Content-Length, then the empty
        // line that ends the head.
        let lines = text.components(separatedByCRLF: ())
        #expect(lines.count == 6, "\(lines)")
        #expect(lines.last == "")
        #expect(lines.first == "HTTP/1.1 302 Found")
        #expect(!lines.contains { $0.hasPrefix("Set-Cookie") || $0.hasPrefix("Injected") || $0.hasPrefix("HTTP/1.1 200") })
        #expect(lines.contains { $0.hasPrefix("Location: evil") || $0.hasPrefix("Location: nul") })
        #expect(!text.utf8.enumerated().contains { index, byte in
            // Every CR is followed by LF and every LF preceded by CR.
            let bytes = Array(text.utf8)
            if byte == 13 { return index + 1 >= bytes.count || bytes[index + 1] != 10 }
            if byte == 10 { return index == 0 || bytes[index - 1] != 13 }
            return false
        })
    }

    @Test func continueResponse() {
        #expect(String(decoding: ResponseEncoder.continueResponse, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    @Test(arguments: [
        (100, "Continue"), (200, "OK"), (201, "Created"), (204, "No Content"), (304, "Not Modified"),
        (400, "Bad Request"), (404, "Not Found"), (408, "Request Timeout"), (413, "Content Too Large"),
        (414, "URI Too Long"), (417, "Expectation Failed"), (431, "Request Header Fields Too Large"),
        (501, "Not Implemented"), (503, "Service Unavailable"), (505, "HTTP Version Not Supported"),
        (299, "OK"), (499, "Client Error"), (599, "Server Error"),
    ])
    func reasonPhrases(status: Int, phrase: String) {
        #expect(ResponseEncoder.reasonPhrase(status) == phrase)
        #expect(encode(HTTPResponse(status: status)).hasPrefix("HTTP/1.1 \(status) \(phrase)\r\n"))
    }

    @Test func appendsToWhatIsAlreadyThere() {
        var out = Array("previous".utf8)
        ResponseEncoder.encode(HTTPResponse(status: 200), omitBody: false, close: false, date: Self.date, into: &out)
        #expect(String(decoding: out, as: UTF8.self).hasPrefix("previousHTTP/1.1 200 OK\r\n"))
    }
}

@Suite("HTTPDate")
struct HTTPDateTests {
    @Test(arguments: [
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_798_761_599, "Thu, 31 Dec 2026 23:59:59 GMT"),
    ])
    func imfFixdate(epoch: Int, expected: String) {
        #expect(HTTPDate.format(epochSeconds: epoch) == expected)
    }
}

private extension String {
    /// Lines split on CRLF only (a stray CR or LF stays inside its line), without the empty tail.
    func components(separatedByCRLF _: Void) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 {
                lines.append(String(decoding: current, as: UTF8.self))
                current = []
                i += 2
            } else {
                current.append(bytes[i])
                i += 1
            }
        }
        if !current.isEmpty { lines.append(String(decoding: current, as: UTF8.self)) }
        return lines
    }
}
