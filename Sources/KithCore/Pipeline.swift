import HTTP1
import SQLiteStore
#if canImport(Glibc)
import Glibc
#endif

/// Turns an HTTP request into a response: route, authenticate, authorise, rate-limit, run the
/// handler (idempotently when asked), map errors to problems, and add the headers every API
/// response carries. Each step is a plain call; nothing here knows about sockets.
public final class Pipeline: Sendable {
    public let services: Services
    public let table: RouteTable
    private let errorLog: @Sendable (_ requestId: String, _ message: String) -> Void

    public init(router: Router, services: Services,
                errorLog: @escaping @Sendable (_ requestId: String, _ message: String) -> Void) {
        self.services = services
        self.table = RouteTable(router)
        self.errorLog = errorLog
    }

    /// What the pipeline learnt about a request, for the response headers and metrics.
    private struct Trace {
        var route = "unmatched"
        var principal: Principal?
        var rateLimitHeaders: [(String, String)] = []
        var path: String?
    }

    public func handle(_ http: HTTPRequest, requestId: String, remoteAddress peer: String) -> HTTPResponse {
        let started = Self.monotonicSeconds()
        let remoteAddress = clientAddress(http, peer: peer)
        var trace = Trace()
        var response: HTTPResponse
        do {
            response = try route(http, requestId: requestId, remoteAddress: remoteAddress, trace: &trace)
        } catch {
            response = problem(for: error, requestId: requestId).response(requestId: requestId, instance: trace.path)
        }
        decorate(&response, request: http, trace: trace)
        services.metrics.record(method: http.method.rawValue, route: trace.route, status: response.status,
                                seconds: Self.monotonicSeconds() - started)
        return response
    }

    /// The answer to bytes the HTTP parser refused (or to a timeout, or a full server).
    public func malformed(_ error: HTTPParseError, requestId: String) -> HTTPResponse {
        var response = Problem.http(error).response(requestId: requestId, instance: nil)
        response.headers.add("X-Content-Type-Options", "nosniff")
        services.metrics.record(method: "-", route: "malformed", status: error.status, seconds: 0)
        return response
    }

    // MARK: - Steps

    private func route(_ http: HTTPRequest, requestId: String, remoteAddress: String, trace: inout Trace) throws -> HTTPResponse {
        if http.target == "*" { return optionsResponse(allowed: HTTPMethod.served.map(\.rawValue).sorted(), request: http) }

        // Path segments are split first, then percent-decoded, so %2F stays inside a segment.
        let rawPath = http.path
        var segments: [Substring] = []
        var decodedPath = ""
        if rawPath.first == "/", !rawPath.utf8.contains(UInt8(ascii: "%")) {
            // Nothing escaped (nearly every request): the path is its own decoding.
            decodedPath = String(rawPath)
            segments = Array(decodedPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        } else {
            for raw in rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                guard let decoded = PercentDecoding.decode(raw) else {
                    throw Problem.badRequest("The path has a malformed percent-escape or is not UTF-8.")
                }
                segments.append(decoded[...])
                decodedPath += "/" + decoded
            }
        }
        trace.path = decodedPath
        let queryItems: [(name: String, value: String)]
        if let query = http.query {
            guard let items = PercentDecoding.queryItems(query) else {
                throw Problem.badRequest("The query string has a malformed percent-escape or is not UTF-8.")
            }
            queryItems = items
        } else {
            queryItems = []
        }

        if http.method == .OPTIONS {
            guard let allowed = table.allowedMethods(segments: segments) else { throw Problem.notFound("No resource at \(decodedPath).") }
            return optionsResponse(allowed: allowed, request: http)
        }

        let route: Route
        let parameters: [(String, String)]
        switch table.match(method: http.method, segments: segments) {
        case .notFound:
            throw Problem.notFound("No resource at \(decodedPath).")
        case .methodNotAllowed(let allowed):
            throw Problem.methodNotAllowed(allowed)
        case .found(let found, let params):
            route = found
            parameters = params
        }
        trace.route = route.pattern
        let now = services.clock.now()

        // Authentication: a key that is sent must be valid, even on public routes. Operational
        // routes (health, metrics) ignore keys: a probe must not fail because of a header.
        let principal = route.options.operational ? nil : try authenticate(http, remoteAddress: remoteAddress, now: now)
        trace.principal = principal
        // Limits come before the access check, so refused calls count too.
        if !route.options.operational {
            trace.rateLimitHeaders = try limitRate(http, route: route, principal: principal, remoteAddress: remoteAddress, now: now)
        }
        if principal == nil, route.access != .anyone {
            throw Problem.unauthorized("This route needs an API key: send Authorization: Bearer <key>.", error: nil)
        }
        guard route.access.allows(principal?.role) else {
            throw Problem.roleNotPermitted("Keys with the \(principal?.role.rawValue ?? "anonymous") role may not call \(route.method.rawValue) \(route.pattern).")
        }

        if let limit = route.options.maxBodyBytes, http.body.count > limit {
            throw Problem(status: 413, slug: "content-too-large", title: "Content Too Large",
                          detail: "This route takes bodies of at most \(limit) bytes.")
        }
        let request = Request(http: http, path: decodedPath, parameters: parameters, query: Query(items: queryItems))
        if http.method == .POST, route.options.requiresIdempotencyKey, http.headers["idempotency-key"] == nil {
            throw Problem(status: 428, slug: "idempotency-key-required", title: "Idempotency-Key required",
                          detail: "This request moves credits or money: send an Idempotency-Key header (a unique value, e.g. a UUID) so a retry cannot do it twice.",
                          errors: [FieldError("Idempotency-Key", "is required")])
        }
        if http.method == .POST, !route.options.operational, let key = http.headers["idempotency-key"] {
            return try runIdempotently(route, request, key: key, principal: principal, remoteAddress: remoteAddress,
                                       requestId: requestId, now: now)
        }
        let context = RequestContext(requestId: requestId, principal: principal, services: services, now: now)
        var response = try route.handler(request, context)
        if http.method == .GET || http.method == .HEAD, let etag = response.headers["ETag"],
           let ifNoneMatch = http.headers["if-none-match"], ETag.noneMatch(ifNoneMatch, etag) {
            response = HTTPResponse(status: 304)
            response.headers.add("ETag", etag)
        }
        return response
    }

    private func authenticate(_ http: HTTPRequest, remoteAddress: String, now: Timestamp) throws -> Principal? {
        guard let header = http.headers["authorization"] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("Send the key as Authorization: Bearer <key>.", error: "invalid_request")
        }
        let token = parts[1].trimmingOWS()
        guard token.hasPrefix(APIKeys.prefix), token.utf8.count <= 128 else { try refuse(.unknown, remoteAddress, now) }
        let hash = Digest.sha256Hex(token)
        if let principal = services.keyCache.lookup(hash: hash, now: now) { return principal }
        let verdict = try services.database.read { db in try APIKeys.verify(db, hash: hash, now: now) }
        guard case .valid(let principal, let expiresAt) = verdict else { try refuse(verdict, remoteAddress, now) }
        services.keyCache.store(hash: hash, principal: principal, expiresAt: expiresAt, now: now)
        return principal
    }

    /// 401 for a key that is not valid. Failed keys count against the caller's address, which
    /// slows down guessing.
    private func refuse(_ verdict: APIKeys.Verdict, _ remoteAddress: String, _ now: Timestamp) throws -> Never {
        let decision = services.rateLimiter.take(services.settings.rateLimits.anonymous, client: clientID(remoteAddress), now: now)
        if services.settings.rateLimits.enabled && !decision.allowed {
            throw Problem.tooManyRequests(retryAfter: decision.retryAfter, headers: decision.headers)
        }
        switch verdict {
        case .revoked: throw Problem.unauthorized("This API key has been revoked.")
        case .expired: throw Problem.unauthorized("This API key has expired.")
        case .unknown, .valid: throw Problem.unauthorized("This API key is not recognised.")
        }
    }

    private func limitRate(_ http: HTTPRequest, route: Route, principal: Principal?, remoteAddress: String,
                           now: Timestamp) throws -> [(String, String)] {
        let settings = services.settings.rateLimits
        guard settings.enabled else { return [] }
        let limiter = services.rateLimiter
        var rules: [(RateLimitRule, String)] = []
        if let principal {
            rules.append((settings.perKey, "key:" + principal.keyId))
        } else {
            let client = clientID(remoteAddress)
            rules.append((settings.anonymous, client))
            if http.method != .GET && http.method != .HEAD { rules.append((settings.anonymousWrites, client)) }
        }
        if let extra = route.options.extraRateLimit {
            rules.append((extra, principal.map { "key:" + $0.keyId } ?? clientID(remoteAddress)))
        }
        var primary: RateLimiter.Decision?
        for (rule, client) in rules {
            let decision = limiter.take(rule, client: client, now: now)
            if !decision.allowed { throw Problem.tooManyRequests(retryAfter: decision.retryAfter, headers: decision.headers) }
            if primary == nil { primary = decision }
        }
        return primary?.headers ?? []
    }

    /// The peer, or behind a trusted reverse proxy the address it says it forwarded for.
    private func clientAddress(_ http: HTTPRequest, peer: String) -> String {
        guard services.settings.trustedProxies.contains(peer), let forwarded = http.headers["x-forwarded-for"],
              let last = forwarded.split(separator: ",").last?.trimmingOWS(), !last.isEmpty
        else { return peer }
        return last
    }

    /// Client addresses are hashed before they are used as keys: they are personal data.
    private func clientID(_ remoteAddress: String) -> String {
        "anon:" + String(Digest.sha256Hex(remoteAddress).prefix(24))
    }

    private func runIdempotently(_ route: Route, _ request: Request, key: String, principal: Principal?,
                                 remoteAddress: String, requestId: String, now: Timestamp) throws -> HTTPResponse {
        try Idempotency.validate(key)
        let client = principal?.keyId ?? clientID(remoteAddress)
        let fingerprint = Idempotency.fingerprint(request.http)
        // The write lock is held from the lookup to the commit, so a concurrent retry waits and
        // then finds the stored response instead of doing the work again.
        return try services.database.write { db in
            if let stored = try Idempotency.find(db, client: client, key: key) {
                guard stored.fingerprint == fingerprint else { throw Problem.idempotencyKeyReused() }
                return stored.response
            }
            let context = RequestContext(requestId: requestId, principal: principal, services: services, now: now,
                                         activeTransaction: db)
            let response = try route.handler(request, context)
            if response.status < 500 {
                var stored = response
                if route.options.responseHoldsSecret && response.status < 300 {
                    let location = response.headers["Location"] ?? "the resource"
                    stored = Problem.conflict("This Idempotency-Key already created \(location). Its secret was shown once, in the first response, and is not stored; if it was lost, revoke that resource and create a new one.")
                        .response(requestId: requestId, instance: request.path)
                    if let header = response.headers["Location"] { stored.headers.add("Location", header) }
                }
                try Idempotency.store(db, client: client, key: key, fingerprint: fingerprint, response: stored, now: now)
            }
            return response
        }
    }

    private func optionsResponse(allowed: [String], request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(status: 204)
        response.headers.add("Allow", allowed.joined(separator: ", "))
        if let origin = request.headers["origin"], request.headers["access-control-request-method"] != nil,
           let allowedOrigin = allowedOrigin(origin) {
            response.headers.add("Access-Control-Allow-Origin", allowedOrigin)
            response.headers.add("Access-Control-Allow-Methods", allowed.joined(separator: ", "))
            response.headers.add("Access-Control-Allow-Headers",
                                 "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id")
            response.headers.add("Access-Control-Max-Age", "600")
            response.headers.add("Vary", "Origin")
        }
        return response
    }

    private func allowedOrigin(_ origin: String) -> String? {
        let origins = services.settings.corsOrigins
        if origins.contains(origin) { return origin }
        if origins.contains("*") && origin != "null" { return "*" }
        return nil
    }

    // MARK: - Errors

    /// Maps anything a handler threw to a problem. Store failures never surface as raw SQL.
    private func problem(for error: any Error, requestId: String) -> Problem {
        if let problem = error as? Problem { return problem }
        if let error = error as? SQLiteError {
            if error.isUniqueViolation {
                let fields = Self.constraintColumns(error.message)
                return Problem(status: 409, slug: "conflict", title: "Conflicts with the current state",
                               detail: "Another record already has the same \(fields.isEmpty ? "unique value" : fields.joined(separator: ", ")).",
                               errors: fields.map { FieldError($0, "is already used by another record") })
            }
            if error.isForeignKeyViolation {
                return .conflict("The change refers to a record that does not exist, or removes one that other records still refer to.")
            }
            if error.isCheckViolation {
                return Problem(status: 422, slug: "constraint", title: "The input is not valid",
                               detail: "A value is outside what this resource accepts.")
            }
            if error.isBusy { return .unavailable("The database is busy; retry shortly.") }
        }
        errorLog(requestId, String(describing: error))
        return .internalError()
    }

    /// `UNIQUE constraint failed: groups.name, groups.area_id` → `["name", "area_id"]`.
    static func constraintColumns(_ message: String) -> [String] {
        guard let colon = message.firstIndex(of: ":") else { return [] }
        return message[message.index(after: colon)...].split(separator: ",").compactMap { part in
            part.split(separator: ".").last.map { $0.trimmingOWS() }
        }
    }

    // MARK: - Headers every API response carries

    private func decorate(_ response: inout HTTPResponse, request: HTTPRequest, trace: Trace) {
        response.headers.add("X-Content-Type-Options", "nosniff")
        if trace.principal != nil {
            response.headers.add("Cache-Control", "no-store")
            response.logPrincipal = trace.principal?.keyId
        }
        for (name, value) in trace.rateLimitHeaders { response.headers.add(name, value) }
        if request.method != .OPTIONS, let origin = request.headers["origin"], let allowed = allowedOrigin(origin) {
            response.headers.add("Access-Control-Allow-Origin", allowed)
            response.headers.add("Access-Control-Expose-Headers",
                                 "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id, Idempotent-Replayed")
            response.headers.add("Vary", "Origin")
        }
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
