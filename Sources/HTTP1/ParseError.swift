/// Why a request could not be parsed, with the status the server answers. After any of these the
/// server closes the connection: the framing of what follows can no longer be trusted.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    static func bad(_ reason: String) -> HTTPParseError { .init(status: 400, reason: reason) }
    static let uriTooLong = HTTPParseError(status: 414, reason: "request line is longer than the limit")
    static let headersTooLarge = HTTPParseError(status: 431, reason: "header section is larger than the limit")
    static let tooManyHeaders = HTTPParseError(status: 431, reason: "more header fields than the limit")
    static let bodyTooLarge = HTTPParseError(status: 413, reason: "request body is larger than the limit")
    static let unknownMethod = HTTPParseError(status: 501, reason: "method not implemented")
    static let badVersion = HTTPParseError(status: 505, reason: "HTTP version not supported")
    static let unsupportedTransferCoding = HTTPParseError(status: 501, reason: "transfer coding not supported; only chunked is")
    static let expectationFailed = HTTPParseError(status: 417, reason: "only Expect: 100-continue is supported")
}
