import HTTP1

/// One invalid input field, named by its JSON path (`contact.email`, `activities[2]`) or by its
/// query parameter or header name.
public struct FieldError: Sendable, Equatable {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// An error answered as `application/problem+json` (RFC 9457). Handlers throw these; anything
/// else that escapes a handler is mapped in `ErrorMapping`.
public struct Problem: Error, Sendable {
    public var status: Int
    /// Short slug; the `type` member is `urn:kith:problem:<slug>`.
    public var slug: String
    public var title: String
    public var detail: String
    public var errors: [FieldError]
    public var headers: [(String, String)]
    /// Extra members (RFC 9457 §3.2 extensions) a module may add.
    public var extensions: [(String, JSON)]

    public init(status: Int, slug: String, title: String, detail: String, errors: [FieldError] = [],
                headers: [(String, String)] = [], extensions: [(String, JSON)] = []) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions
    }

    public var type: String { "urn:kith:problem:\(slug)" }

    public func response(requestId: String, instance: String?) -> HTTPResponse {
        var members: [(String, JSON)] = [
            ("type", .string(type)),
            ("title", .string(title)),
            ("status", .int(status)),
            ("detail", .string(detail)),
        ]
        if let instance { members.append(("instance", .string(instance))) }
        members.append(("request_id", .string(requestId)))
        if !errors.isEmpty {
            members.append(("errors", .array(errors.map { ["field": .string($0.field), "message": .string($0.message)] })))
        }
        members += extensions
        var response = HTTPResponse(status: status, body: JSON.object(members).encoded())
        response.headers.add("Content-Type", "application/problem+json")
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }
}

// MARK: - The problems Kith answers with (documented in openapi.yaml under components/responses)

extension Problem {
    public static func badRequest(_ detail: String, errors: [FieldError] = []) -> Problem {
        Problem(status: 400, slug: "bad-request", title: "The request is malformed", detail: detail, errors: errors)
    }

    public static func malformedJSON(_ detail: String) -> Problem {
        Problem(status: 400, slug: "malformed-json", title: "The body is not valid JSON", detail: detail)
    }

    public static func validation(_ errors: [FieldError]) -> Problem {
        let fields = errors.map(\.field)
        let named = fields.count == 1 ? "field \(fields[0])" : "fields \(fields.joined(separator: ", "))"
        return Problem(status: 422, slug: "validation", title: "The input is not valid",
                       detail: "Check \(named).", errors: errors)
    }

    public static func invalid(_ field: String, _ message: String) -> Problem {
        validation([FieldError(field, message)])
    }

    public static func unauthorized(_ detail: String, error: String? = "invalid_token") -> Problem {
        let challenge = error.map { "Bearer realm=\"kith\", error=\"\($0)\"" } ?? "Bearer realm=\"kith\""
        return Problem(status: 401, slug: "unauthorized", title: "Authentication is required", detail: detail,
                       headers: [("WWW-Authenticate", challenge)])
    }

    /// The key may not act on this record (outside its scope, not its own).
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: 403, slug: "forbidden", title: "Not allowed for this key", detail: detail)
    }

    /// The key's role may not call this route at all (the permission table said no).
    public static func roleNotPermitted(_ detail: String) -> Problem {
        Problem(status: 403, slug: "role-not-permitted", title: "Not allowed for this role", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: 404, slug: "not-found", title: "Not found", detail: detail)
    }

    public static func methodNotAllowed(_ allowed: [String]) -> Problem {
        Problem(status: 405, slug: "method-not-allowed", title: "Method not allowed",
                detail: "This resource supports \(allowed.joined(separator: ", ")).",
                headers: [("Allow", allowed.joined(separator: ", "))])
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(status: 409, slug: "conflict", title: "Conflicts with the current state", detail: detail)
    }

    public static func preconditionFailed(_ detail: String) -> Problem {
        Problem(status: 412, slug: "precondition-failed", title: "The resource has changed", detail: detail)
    }

    public static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(status: 415, slug: "unsupported-media-type", title: "Unsupported media type", detail: detail)
    }

    public static func idempotencyKeyReused() -> Problem {
        Problem(status: 422, slug: "idempotency-key-reused", title: "Idempotency key reused with a different request",
                detail: "This Idempotency-Key was first used with a different method, path or body. Use a new key for a new request.")
    }

    public static func tooManyRequests(retryAfter: Int, headers: [(String, String)]) -> Problem {
        Problem(status: 429, slug: "rate-limited", title: "Too many requests",
                detail: "Slow down: try again in \(retryAfter) second\(retryAfter == 1 ? "" : "s").",
                headers: [("Retry-After", String(retryAfter))] + headers)
    }

    public static func unavailable(_ detail: String, retryAfter: Int = 1) -> Problem {
        Problem(status: 503, slug: "unavailable", title: "Service unavailable", detail: detail,
                headers: [("Retry-After", String(retryAfter))])
    }

    public static func internalError() -> Problem {
        Problem(status: 500, slug: "internal", title: "Internal server error",
                detail: "Something went wrong on our side. Quote the request_id when reporting it.")
    }

    /// The answer to an HTTP framing error from the parser or the server.
    public static func http(_ error: HTTPParseError) -> Problem {
        let slug: String
        switch error.status {
        case 408: slug = "request-timeout"
        case 413: slug = "content-too-large"
        case 414: slug = "uri-too-long"
        case 417: slug = "expectation-failed"
        case 431: slug = "headers-too-large"
        case 501: slug = "not-implemented"
        case 503: slug = "unavailable"
        case 505: slug = "http-version-not-supported"
        default: slug = "bad-request"
        }
        return Problem(status: error.status, slug: slug, title: ResponseEncoder.reasonPhrase(error.status),
                       detail: error.reason.prefix(1).uppercased() + error.reason.dropFirst() + ".")
    }
}
