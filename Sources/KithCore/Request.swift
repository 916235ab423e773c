import HTTP1

/// A routed request: the parsed HTTP message, its path parameters and its decoded query.
public struct Request: Sendable {
    public let http: HTTPRequest
    public let parameters: [(String, String)]
    public let query: Query
    /// The decoded path (for `instance` in problems and for the audit trail).
    public let path: String

    public init(http: HTTPRequest, path: String, parameters: [(String, String)], query: Query) {
        self.http = http
        self.path = path
        self.parameters = parameters
        self.query = query
    }

    public var method: HTTPMethod { http.method }
    public var body: [UInt8] { http.body }
    public func header(_ name: String) -> String? { http.headers[name] }

    /// A path parameter declared in the route pattern (`{id}`).
    public func parameter(_ name: String) -> String {
        parameters.first { $0.0 == name }?.1 ?? ""
    }
}

/// Decoded query parameters, with typed readers that answer 400 naming the parameter.
public struct Query: Sendable {
    public let items: [(name: String, value: String)]

    public init(items: [(name: String, value: String)]) { self.items = items }

    public func string(_ name: String) -> String? { items.first { $0.name == name }?.value }

    /// Every value for a repeated parameter (`?activity=food&activity=youth`) and comma lists.
    public func list(_ name: String) -> [String] {
        items.filter { $0.name == name }.flatMap { $0.value.split(separator: ",") }.map(String.init).filter { !$0.isEmpty }
    }

    public func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem.badRequest("Query parameter \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).",
                                     errors: [FieldError(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")])
        }
        return value
    }

    public func double(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw Problem.badRequest("Query parameter \(name) must be a number from \(range.lowerBound) to \(range.upperBound).",
                                     errors: [FieldError(name, "must be a number from \(range.lowerBound) to \(range.upperBound)")])
        }
        return value
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let text = string(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw Problem.badRequest("Query parameter \(name) must be true or false.", errors: [FieldError(name, "must be true or false")])
        }
    }

    public func timestamp(_ name: String) throws -> Timestamp? {
        guard let text = string(name) else { return nil }
        guard let value = Timestamp(rfc3339: text) else {
            throw Problem.badRequest("Query parameter \(name) must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z.",
                                     errors: [FieldError(name, "must be an RFC 3339 date-time")])
        }
        return value
    }

    /// A calendar date, `YYYY-MM-DD`.
    public func date(_ name: String) throws -> String? {
        guard let text = string(name) else { return nil }
        guard text.utf8.count == 10, Timestamp(date: text) != nil else {
            throw Problem.badRequest("Query parameter \(name) must be a date as YYYY-MM-DD.", errors: [FieldError(name, "must be a date as YYYY-MM-DD")])
        }
        return text
    }

    public func oneOf(_ name: String, _ allowed: [String]) throws -> String? {
        guard let text = string(name) else { return nil }
        guard allowed.contains(text) else {
            throw Problem.badRequest("Query parameter \(name) must be one of: \(allowed.joined(separator: ", ")).",
                                     errors: [FieldError(name, "must be one of: \(allowed.joined(separator: ", "))")])
        }
        return text
    }

    /// Refuses parameters the route does not document, so a misspelt filter is an error rather
    /// than a silently unfiltered list.
    public func allowOnly(_ names: Set<String>) throws {
        let unknown = Set(items.map(\.name)).subtracting(names).sorted()
        guard unknown.isEmpty else {
            throw Problem.badRequest("Unknown query parameter\(unknown.count == 1 ? "" : "s"): \(unknown.joined(separator: ", ")).",
                                     errors: unknown.map { FieldError($0, "is not a parameter of this route") })
        }
    }
}
