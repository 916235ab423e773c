import HTTP1

/// A route handler: plain, synchronous, on the connection's queue. Throw a `Problem` for errors.
public typealias Handler = @Sendable (Request, RequestContext) throws -> HTTPResponse

/// Who may call a route: the permission table is the union of these across all routes, and
/// `Router.permissionTable` lists it (a test walks it, and openapi.yaml states it per operation).
public enum Access: Sendable, Equatable {
    /// Anyone, with or without a key (a key that is sent must still be valid).
    case anyone
    /// A key holding one of these roles.
    case roles(Set<Role>)

    public static func only(_ roles: Role...) -> Access { .roles(Set(roles)) }

    public func allows(_ role: Role?) -> Bool {
        switch self {
        case .anyone: return true
        case .roles(let roles): return role.map(roles.contains) ?? false
        }
    }

    /// As written in openapi.yaml's `x-kith-access`: `anyone`, or the role names sorted.
    public var specDescription: [String] {
        switch self {
        case .anyone: return ["anyone"]
        case .roles(let roles): return roles.map(\.rawValue).sorted()
        }
    }
}

/// Per-route settings beyond method, path and access.
public struct RouteOptions: Sendable {
    /// Operational routes (health, metrics) skip rate limits and idempotency.
    public var operational = false
    /// An extra, stricter limit for this route (e.g. anonymous survey submissions), per client.
    public var extraRateLimit: RateLimitRule?

    /// The response holds a secret shown once (a new API key): an idempotent retry must not
    /// replay it, so the stored answer is a 409 naming the created resource instead.
    public var responseHoldsSecret = false
    /// A smaller body limit than the server's, for routes anyone may post to (413 beyond it).
    public var maxBodyBytes: Int?
    /// A POST that moves value (a ledger write) must carry an `Idempotency-Key`, so a retry
    /// after a lost response can never do it twice (428 without one).
    public var requiresIdempotencyKey = false

    public init(operational: Bool = false, extraRateLimit: RateLimitRule? = nil, maxBodyBytes: Int? = nil,
                responseHoldsSecret: Bool = false, requiresIdempotencyKey: Bool = false) {
        self.operational = operational
        self.extraRateLimit = extraRateLimit
        self.maxBodyBytes = maxBodyBytes
        self.responseHoldsSecret = responseHoldsSecret
        self.requiresIdempotencyKey = requiresIdempotencyKey
    }
}

public struct Route: Sendable {
    public let method: HTTPMethod
    /// `/v1/groups/{id}`: literal segments and `{name}` parameters.
    public let pattern: String
    public let access: Access
    public let options: RouteOptions
    public let handler: Handler
}

/// Collects routes; each module adds its own in its `Routes.swift`.
public struct Router: Sendable {
    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ access: Access,
                             options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /: \(pattern)")
        precondition(!routes.contains { $0.method == method && $0.pattern == pattern }, "duplicate route \(method) \(pattern)")
        routes.append(Route(method: method, pattern: pattern, access: access, options: options, handler: handler))
    }

    public mutating func get(_ pattern: String, _ access: Access, options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        add(.GET, pattern, access, options: options, handler)
    }
    public mutating func post(_ pattern: String, _ access: Access, options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        add(.POST, pattern, access, options: options, handler)
    }
    public mutating func put(_ pattern: String, _ access: Access, options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        add(.PUT, pattern, access, options: options, handler)
    }
    public mutating func patch(_ pattern: String, _ access: Access, options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        add(.PATCH, pattern, access, options: options, handler)
    }
    public mutating func delete(_ pattern: String, _ access: Access, options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        add(.DELETE, pattern, access, options: options, handler)
    }

    /// (method, pattern, access) for every route, sorted: the permission table.
    public var permissionTable: [(method: String, pattern: String, access: Access)] {
        routes.map { (method: $0.method.rawValue, pattern: $0.pattern, access: $0.access) }
            .sorted { ($0.pattern, $0.method) < ($1.pattern, $1.method) }
    }
}

/// The routes compiled into a segment trie for matching.
public struct RouteTable: Sendable {
    private final class Node: @unchecked Sendable {   // built once, then only read
        var literals: [Substring: Node] = [:]
        var parameter: (name: String, node: Node)?
        var routes: [HTTPMethod: Route] = [:]
    }

    public enum Match {
        case found(Route, parameters: [(String, String)])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private let root = Node()
    public let routes: [Route]

    public init(_ router: Router) {
        routes = router.routes
        for route in router.routes {
            var node = root
            for segment in route.pattern.split(separator: "/", omittingEmptySubsequences: true) {
                if segment.hasPrefix("{") && segment.hasSuffix("}") {
                    let name = String(segment.dropFirst().dropLast())
                    if let existing = node.parameter {
                        precondition(existing.name == name, "conflicting parameter names at \(route.pattern)")
                        node = existing.node
                    } else {
                        let child = Node()
                        node.parameter = (name, child)
                        node = child
                    }
                } else if let child = node.literals[segment] {
                    node = child
                } else {
                    let child = Node()
                    node.literals[segment] = child
                    node = child
                }
            }
            node.routes[route.method] = route
        }
    }

    /// Matches decoded path segments. `HEAD` uses the `GET` route.
    public func match(method: HTTPMethod, segments: [Substring]) -> Match {
        var parameters: [(String, String)] = []
        guard let node = find(root, segments[...], &parameters) else { return .notFound }
        let lookup = method == .HEAD ? .GET : method
        if let route = node.routes[lookup] { return .found(route, parameters: parameters) }
        return .methodNotAllowed(allowed: Self.allowHeader(node.routes.keys))
    }

    /// The methods a path supports (for `Allow` and CORS preflight), or nil if no such path.
    public func allowedMethods(segments: [Substring]) -> [String]? {
        var parameters: [(String, String)] = []
        guard let node = find(root, segments[...], &parameters), !node.routes.isEmpty else { return nil }
        return Self.allowHeader(node.routes.keys)
    }

    private static func allowHeader(_ methods: Dictionary<HTTPMethod, Route>.Keys) -> [String] {
        var names = Set(methods.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        names.insert("OPTIONS")
        return names.sorted()
    }

    /// Literal segments win over parameters; backtracks if a literal branch dead-ends.
    private func find(_ node: Node, _ segments: ArraySlice<Substring>, _ parameters: inout [(String, String)]) -> Node? {
        guard let segment = segments.first else { return node.routes.isEmpty ? nil : node }
        let rest = segments.dropFirst()
        if let child = node.literals[segment], let found = find(child, rest, &parameters) { return found }
        if let parameter = node.parameter, !segment.isEmpty {
            parameters.append((parameter.name, String(segment)))
            if let found = find(parameter.node, rest, &parameters) { return found }
            parameters.removeLast()
        }
        return nil
    }
}
