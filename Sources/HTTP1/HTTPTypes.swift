/// Request methods the server understands. Anything else (CONNECT among them) is answered with 501.
public enum HTTPMethod: String, Sendable, CaseIterable, Hashable {
    case GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
    /// Registered methods no route serves (TRACE, and QUERY from the safe-method-with-body draft):
    /// parsed so that they meet a 405 with `Allow` (a known method the resource does not support,
    /// RFC 9110 §15.5.6) rather than a 501 that clients and fuzzers read as a server fault.
    case TRACE, QUERY

    /// The methods some route may serve: what `OPTIONS *` lists.
    public static let served: [HTTPMethod] = allCases.filter { $0 != .TRACE && $0 != .QUERY }
}

public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// An ordered list of header fields. Names are compared case-insensitively; request names are
/// stored lowercased by the parser, so lookups on requests are a plain comparison.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }
    public init(_ fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every field with this name by one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.same($0.name, name) }
    }

    public subscript(name: String) -> String? {
        for field in fields where Self.same(field.name, name) { return field.value }
        return nil
    }

    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.same($0.name, name) ? $0.value : nil }
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Comma-separated tokens across all fields with this name, trimmed and lowercased.
    public func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS().lowercased() }.filter { !$0.isEmpty }
    }

    public var count: Int { fields.count }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    @inline(__always)
    static func same(_ a: String, _ b: String) -> Bool {
        a == b || (a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased())
    }
}

extension StringProtocol {
    /// Trims optional whitespace (SP and HTAB) as RFC 9110 defines it.
    public func trimmingOWS() -> String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(self[first...last])
    }
}

/// A complete request: head and the whole (de-chunked) body.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (origin-form, or `*` for OPTIONS).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the client asked to keep the connection open after this request.
    public var keepAlive: Bool

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool = true) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The path part of the target, still percent-encoded.
    public var path: Substring {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) { return target[..<q] }
        return target[...]
    }

    /// The query part of the target without the `?`, or nil.
    public var query: Substring? {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return target[target.index(after: q)...]
    }
}

/// A response as the application builds it. The encoder adds `Date`, `Content-Length` and
/// `Connection`; the application must not set those.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Set by the application for the access log (e.g. an API key id); never sent to the client.
    public var logPrincipal: String?
    /// Ask the server to close the connection after sending this response.
    public var closeConnection: Bool

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.logPrincipal = nil
        self.closeConnection = false
    }
}
