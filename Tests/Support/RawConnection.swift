import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A response read off the wire by a test.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON (nil if it is not).
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    public var object: [String: Any] { json as? [String: Any] ?? [:] }
    public var array: [[String: Any]] { object["data"] as? [[String: Any]] ?? [] }
}

public struct TestClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking TCP connection for talking raw HTTP/1.1 to a server under test: send exact bytes,
/// read exact responses, see when the server closes.
public final class RawConnection {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var isClosed = false

    public init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { Glibc.close(fd); throw TestClientError("connect to \(port) failed: errno \(errno)") }
        setTimeout(timeout)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { if !isClosed { Glibc.close(fd) } }

    /// Closes the socket now (e.g. to vanish mid-request). Unread bytes make the kernel send a reset.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Half-close: tells the server we are done sending, while still reading its answer.
    public func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// True if a byte (or EOF) can be read within `seconds`, without consuming anything.
    public func isReadable(within seconds: Double) -> Bool {
        if !buffer.isEmpty { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(seconds * 1000)) > 0
    }

    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false on EOF, throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { buffer += chunk[0..<n]; return true }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError("timed out waiting for the server") }
        return false   // ECONNRESET and friends: treat as closed
    }

    /// Reads one response. `head` is true when it answers a HEAD request (no body follows).
    public func readResponse(head: Bool = false) throws -> TestResponse {
        var headerEnd: Int?
        while headerEnd == nil {
            if let range = find([13, 10, 13, 10]) { headerEnd = range; break }
            guard try fill() else { throw TestClientError("connection closed before a response (got \(buffer.count) bytes)") }
        }
        guard let end = headerEnd else { throw TestClientError("no header end") }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw TestClientError("bad status line: \(statusLine)")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        buffer.removeFirst(end + 4)
        var response = TestResponse(status: status, headers: headers, body: [])
        if head || status < 200 || status == 204 || status == 304 { return response }
        guard let lengthText = response.header("content-length"), let length = Int(lengthText) else {
            throw TestClientError("response without Content-Length")
        }
        while buffer.count < length {
            guard try fill() else { throw TestClientError("connection closed mid-body") }
        }
        response.body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return response
    }

    /// True if the server closes the connection (EOF) within the timeout, with no more bytes.
    public func waitForClose() -> Bool {
        do {
            while try fill() {}
            return true
        } catch {
            return false
        }
    }

    /// Everything until the server closes (or the timeout).
    public func readUntilClose() -> [UInt8] {
        while (try? fill()) == true {}
        defer { buffer.removeAll() }
        return buffer
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
