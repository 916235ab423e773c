import HTTP1
import Testing
@testable import KithCore

@Suite struct RouteTableTests {
    let table: RouteTable = {
        var router = Router()
        let ok: Handler = { _, _ in .noContent() }
        router.get("/v1/groups", .anyone, ok)
        router.post("/v1/groups", .only(.officer, .admin), ok)
        router.get("/v1/groups/search", .anyone, ok)
        router.get("/v1/groups/{id}", .anyone, ok)
        router.patch("/v1/groups/{id}", .only(.officer), ok)
        router.post("/v1/groups/{id}/confirm", .anyone, ok)
        router.get("/v1/networks/{id}/members/{member}", .anyone, ok)
        return RouteTable(router)
    }()

    func segments(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 } }

    @Test func matchesLiteralsBeforeParameters() {
        guard case .found(let route, let parameters) = table.match(method: .GET, segments: segments("/v1/groups/search")) else {
            Issue.record("no match"); return
        }
        #expect(route.pattern == "/v1/groups/search" && parameters.isEmpty)
        guard case .found(let byId, let idParameters) = table.match(method: .GET, segments: segments("/v1/groups/grp_1")) else {
            Issue.record("no match"); return
        }
        #expect(byId.pattern == "/v1/groups/{id}" && idParameters.map(\.1) == ["grp_1"])
    }

    @Test func backtracksFromADeadEndLiteral() {
        guard case .found(let route, let parameters) = table.match(method: .POST, segments: segments("/v1/groups/search/confirm")) else {
            Issue.record("no match"); return
        }
        #expect(route.pattern == "/v1/groups/{id}/confirm" && parameters.map(\.1) == ["search"])
    }

    @Test func extractsSeveralParameters() {
        guard case .found(_, let parameters) = table.match(method: .GET, segments: segments("/v1/networks/n1/members/m2")) else {
            Issue.record("no match"); return
        }
        #expect(parameters.map(\.0) == ["id", "member"] && parameters.map(\.1) == ["n1", "m2"])
    }

    @Test func answersMethodNotAllowedWithAllowList() {
        guard case .methodNotAllowed(let allowed) = table.match(method: .DELETE, segments: segments("/v1/groups/g1")) else {
            Issue.record("expected 405"); return
        }
        #expect(allowed == ["GET", "HEAD", "OPTIONS", "PATCH"])
    }

    @Test(arguments: ["/v1/nothing", "/v1/groups/", "/v1/groups//confirm", "/", "/v1/groups/g1/confirm/extra"])
    func unknownPathsAreNotFound(path: String) {
        guard case .notFound = table.match(method: .GET, segments: segments(path)) else {
            Issue.record("\(path) should be 404"); return
        }
    }

    @Test func headUsesGet() {
        guard case .found(let route, _) = table.match(method: .HEAD, segments: segments("/v1/groups")) else {
            Issue.record("no match"); return
        }
        #expect(route.method == .GET)
    }

    @Test func accessRules() {
        #expect(Access.anyone.allows(nil))
        #expect(Access.only(.admin).allows(.admin))
        #expect(!Access.only(.admin).allows(.officer))
        #expect(!Access.only(.admin).allows(nil))
        #expect(Access.only(.officer, .admin).specDescription == ["admin", "officer"])
    }
}

@Suite struct PagingTests {
    @Test func cursorRoundTripsAndRejectsTampering() throws {
        let page = PageRequest(list: "test", limit: 2)
        let (items, next) = page.page([1, 2, 3]) { [.int($0), .string("id\($0)")] }
        #expect(items == [1, 2])
        let cursor = try #require(next)
        let resumed = try PageRequest(Query(items: [(name: "cursor", value: cursor), (name: "limit", value: "2")]), list: "test", keyLength: 2)
        #expect(resumed.after == [.int(2), .string("id2")])
        #expect(resumed.limit == 2)
        #expect(page.page([1, 2]) { [.int($0)] }.nextCursor == nil)

        for bad in ["%%%", "W10", Base64URL.encode(Array("[1]".utf8))] {
            #expect(problem { _ = try PageRequest(Query(items: [(name: "cursor", value: bad)]), list: "test", keyLength: 2) }?.status == 400)
        }
        #expect(problem { _ = try PageRequest(Query(items: [(name: "cursor", value: cursor)]), list: "other", keyLength: 2) }?.status == 400,
                "a cursor from another list is refused")
    }

    @Test func validatesLimitAndUnknownParameters() {
        #expect(problem { _ = try PageRequest(Query(items: [(name: "limit", value: "0")]), list: "test", keyLength: 1) }?.status == 400)
        #expect(problem { _ = try PageRequest(Query(items: [(name: "limit", value: "201")]), list: "test", keyLength: 1) }?.status == 400)
        #expect(problem { _ = try PageRequest(Query(items: [(name: "limt", value: "5")]), list: "test", keyLength: 1) }?.errors.first?.field == "limt")
        #expect((try? PageRequest(Query(items: []), list: "test", keyLength: 1))?.limit == 50)
    }
}

@Suite struct RateLimiterTests {
    @Test func refillsContinuouslyAndReportsRetryAfter() {
        let limiter = RateLimiter(settings: RateLimitSettings())
        let rule = RateLimitRule(name: "test", limit: 3, windowSeconds: 60)
        let start = Timestamp(millisecondsSinceEpoch: 1_000_000)
        for remaining in [2, 1, 0] {
            let decision = limiter.take(rule, client: "a", now: start)
            #expect(decision.allowed && decision.remaining == remaining)
        }
        let refused = limiter.take(rule, client: "a", now: start)
        #expect(!refused.allowed && refused.retryAfter == 20)
        #expect(refused.headers.map(\.0) == ["RateLimit-Policy", "RateLimit"])
        #expect(limiter.take(rule, client: "b", now: start).allowed, "buckets are per client")
        #expect(limiter.take(rule, client: "a", now: start.adding(seconds: 20)).allowed, "one token back after 20 s")
    }
}
