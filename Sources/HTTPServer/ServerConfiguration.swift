import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Everything the listener and its connections are bounded by. Every field has a CLI flag and an
/// environment variable in `kith serve`.
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 asks the kernel for a free port (tests); `HTTPServer.port` tells which one.
    public var port: Int = 8080
    public var parserLimits = ParserLimits()
    /// From the first byte of a request until its head is complete; then 408 and close.
    public var headerTimeout: Double = 10
    /// From a complete head until the whole body has arrived; then 408 and close.
    public var bodyTimeout: Double = 30
    /// An idle keep-alive connection is closed after this long without a new request.
    public var idleTimeout: Double = 60
    /// A client that stops reading its response is dropped after this long.
    public var writeTimeout: Double = 30
    /// Connections beyond this are answered 503 and closed at once.
    public var maxConnections: Int = 1024
    public var listenBacklog: Int32 = 1024
    /// How long shutdown waits for in-flight requests before closing what remains.
    public var shutdownGrace: Double = 10
    /// Serial worker queues; each connection is pinned to one. More workers than cores lets a
    /// slow handler (an export, a wait for the write lock) hold up fewer other connections.
    public var workers: Int = max(4, 2 * ProcessInfoCores.count)

    public init() {}
}

/// What the server knows about a request beyond the parsed message.
public struct RequestInfo: Sendable {
    /// The client's `X-Request-Id` if sane, otherwise one the server made up. Sent back on the response.
    public var requestId: String
    /// The peer's IP address, for per-client rate limits. Never logged.
    public var remoteAddress: String
    /// Monotonic nanoseconds when the request was complete.
    public var startedAt: UInt64
}

/// One line of the access log. Holds no personal data: the path without its query, no addresses.
public struct AccessLogEntry: Sendable {
    public var time: Int64          // epoch milliseconds
    public var requestId: String
    public var method: String
    public var path: String
    public var status: Int
    public var bytes: Int
    public var durationMicros: Int
    public var principal: String?
}

/// The application the server drives. Calls arrive on a connection's serial queue, one request at
/// a time per connection, and must return a response (never throw).
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, info: RequestInfo) -> HTTPResponse
    /// The answer to bytes that are not a valid request (the connection closes after it).
    func respond(toMalformed error: HTTPParseError, info: RequestInfo) -> HTTPResponse
    /// Called once per response after it is queued for sending.
    func log(_ entry: AccessLogEntry)
    /// Called when a connection opens (+1) or closes (-1), for the open-connections gauge.
    func connectionCountChanged(to count: Int)
}

/// The number of online CPU cores.
public enum ProcessInfoCores {
    public static var count: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
