import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct PlatformTests {
    @Test func healthReadinessAndMetrics() throws {
        let server = try TestServer()
        defer { server.stop() }
        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200 && health.text == #"{"status":"ok"}"#)
        #expect(health.header("Content-Type") == "application/json")
        #expect(health.header("Date") != nil && health.header("X-Content-Type-Options") == "nosniff")
        #expect(health.header("Cache-Control") == nil, "anonymous responses are not marked no-store")
        #expect(try server.request("GET", "/readyz").object["status"] as? String == "ready")

        _ = try server.request("GET", "/v1/keys", key: server.adminKey)
        _ = try server.request("GET", "/v1/nowhere")
        let metrics = try server.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains(#"kith_http_requests_total{method="GET",route="/v1/keys",status="200"} 1"#))
        #expect(metrics.text.contains(#"route="unmatched",status="404"} 1"#))
        #expect(metrics.text.contains("kith_http_request_duration_seconds_bucket{route=\"/v1/keys\",le=\"+Inf\"} 1"))
        #expect(metrics.text.contains("kith_http_open_connections "))
        #expect(metrics.text.contains("kith_db_busy_retries_total 0"))
    }

    @Test func unknownPathsAndMethodsAreProblems() throws {
        let server = try TestServer()
        defer { server.stop() }
        let missing = try server.request("GET", "/v1/nowhere")
        #expect(missing.status == 404 && missing.header("Content-Type") == "application/problem+json")
        #expect(missing.object["type"] as? String == "urn:kith:problem:not-found")
        #expect(missing.object["instance"] as? String == "/v1/nowhere")
        let wrongMethod = try server.request("PUT", "/v1/keys", key: server.adminKey, json: "{}")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD, OPTIONS, POST")
        // TRACE and QUERY are methods HTTP defines and no resource here supports: 405, not a 5xx.
        for method in ["TRACE", "QUERY"] {
            let response = try server.request(method, "/healthz")
            #expect(response.status == 405 && response.header("Content-Type") == "application/problem+json", "\(method)")
            #expect(response.header("Allow") == "GET, HEAD, OPTIONS", "\(method)")
        }
        #expect(try server.request("GET", "/v1/keys/%zz", key: server.adminKey).status == 400)
    }

    @Test func headAndOptions() throws {
        let server = try TestServer()
        defer { server.stop() }
        let head = try server.request("HEAD", "/healthz")
        #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "15")
        let options = try server.request("OPTIONS", "/v1/keys/abc")
        #expect(options.status == 204)
        #expect(options.header("Allow") == "DELETE, GET, HEAD, OPTIONS, PATCH")
        #expect(try server.request("OPTIONS", "/v1/none").status == 404)
    }

    @Test func badBodiesAreNamedProblems() throws {
        let server = try TestServer()
        defer { server.stop() }
        let malformed = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "a", "role": }"#)
        #expect(malformed.status == 400 && malformed.object["type"] as? String == "urn:kith:problem:malformed-json")
        let wrongType = try server.request("POST", "/v1/keys", key: server.adminKey, json: "name=a",
                                           headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(wrongType.status == 415)
        let wrongField = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": 5, "role": "admin"}"#)
        #expect(wrongField.status == 422)
        #expect((wrongField.object["errors"] as? [[String: String]])?.first?["field"] == "name")
        #expect((wrongField.object["errors"] as? [[String: String]])?.first?["message"] == "must be a string")
    }

    @Test func requestIdsAreEchoedWhenSaneAndMadeOtherwise() throws {
        let server = try TestServer()
        defer { server.stop() }
        let echoed = try server.request("GET", "/healthz", headers: [("X-Request-Id", "front-end-42")])
        #expect(echoed.header("X-Request-Id") == "front-end-42")
        let replaced = try server.request("GET", "/healthz", headers: [("X-Request-Id", "has spaces and <tags>")])
        #expect(replaced.header("X-Request-Id") != "has spaces and <tags>")
        #expect(replaced.header("X-Request-Id")?.isEmpty == false)
    }

    @Test func corsAllowsOnlyConfiguredOrigins() throws {
        let server = try TestServer { $0.settings.corsOrigins = ["https://map.example.org"] }
        defer { server.stop() }
        let preflight = try server.request("OPTIONS", "/v1/keys", headers: [
            ("Origin", "https://map.example.org"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://map.example.org")
        #expect(preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS, POST")
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Idempotency-Key") == true)
        #expect(preflight.header("Vary") == "Origin")

        let simple = try server.request("GET", "/healthz", headers: [("Origin", "https://map.example.org")])
        #expect(simple.header("Access-Control-Allow-Origin") == "https://map.example.org")
        #expect(simple.header("Access-Control-Expose-Headers")?.contains("ETag") == true)

        let stranger = try server.request("OPTIONS", "/v1/keys", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        #expect(stranger.header("Access-Control-Allow-Origin") == nil)
        #expect(try server.request("GET", "/healthz", headers: [("Origin", "https://evil.example")]).header("Access-Control-Allow-Origin") == nil)
    }

    @Test func rateLimitsAnswer429WithRetryAfter() throws {
        let server = try TestServer {
            $0.settings.rateLimits.anonymous.limit = 3
            $0.settings.rateLimits.perKey.limit = 5
        }
        defer { server.stop() }
        for remaining in [2, 1, 0] {
            let response = try server.request("GET", "/v1/keys")
            #expect(response.status == 401)
            #expect(response.header("RateLimit") == nil || response.header("RateLimit")?.contains("r=\(remaining)") == true)
        }
        let limited = try server.request("GET", "/v1/keys")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "20")
        #expect(limited.header("RateLimit-Policy") == "\"anonymous\";q=3;w=60")
        #expect(limited.object["type"] as? String == "urn:kith:problem:rate-limited")
        #expect(try server.request("GET", "/healthz").status == 200, "probes are never limited")

        for _ in 0..<5 { #expect(try server.request("GET", "/v1/me", key: server.adminKey).status == 200) }
        let keyLimited = try server.request("GET", "/v1/me", key: server.adminKey)
        #expect(keyLimited.status == 429 && keyLimited.header("RateLimit-Policy") == "\"key\";q=5;w=60")
        server.clock.advance(seconds: 12)
        #expect(try server.request("GET", "/v1/me", key: server.adminKey).status == 200, "a token is back after 12 s")
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnLimit() throws {
        let server = try TestServer {
            $0.settings.rateLimits.anonymous.limit = 1
            $0.settings.trustedProxies = ["127.0.0.1"]
        }
        defer { server.stop() }
        #expect(try server.request("GET", "/v1/keys", headers: [("X-Forwarded-For", "203.0.113.9, 10.0.0.1")]).status == 401)
        #expect(try server.request("GET", "/v1/keys", headers: [("X-Forwarded-For", "10.0.0.1")]).status == 429)
        #expect(try server.request("GET", "/v1/keys", headers: [("X-Forwarded-For", "10.0.0.2")]).status == 401)
    }

    @Test func untrustedPeersCannotPickTheirAddress() throws {
        let server = try TestServer { $0.settings.rateLimits.anonymous.limit = 1 }
        defer { server.stop() }
        #expect(try server.request("GET", "/v1/keys", headers: [("X-Forwarded-For", "10.0.0.1")]).status == 401)
        #expect(try server.request("GET", "/v1/keys", headers: [("X-Forwarded-For", "10.0.0.2")]).status == 429)
    }

    @Test func guessingKeysIsSlowedDown() throws {
        let server = try TestServer { $0.settings.rateLimits.anonymous.limit = 2 }
        defer { server.stop() }
        #expect(try server.request("GET", "/v1/me", key: "kith_guess1").status == 401)
        #expect(try server.request("GET", "/v1/me", key: "kith_guess2").status == 401)
        #expect(try server.request("GET", "/v1/me", key: "kith_guess3").status == 429)
    }

    @Test func authenticatedResponsesAreNotCached() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v1/me", key: server.adminKey)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("ETag") == "\"1\"")
    }

    @Test func auditListsChangesNewestFirstWithFilters() throws {
        let server = try TestServer()
        defer { server.stop() }
        for i in 0..<3 {
            server.clock.advance(seconds: 60)
            _ = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "k\#(i)", "role": "viewer"}"#)
        }
        let all = try server.request("GET", "/v1/audit?limit=2", key: server.adminKey)
        #expect(all.array.count == 2)
        let cursor = try #require(all.object["next_cursor"] as? String)
        let rest = try server.request("GET", "/v1/audit?limit=2&cursor=\(cursor)", key: server.adminKey)
        // 3 API creations plus the bootstrap key.
        #expect(rest.array.count == 2 && rest.object["next_cursor"] is NSNull)
        #expect(rest.array.last?["role"] as? String == "system")
        let since = try server.request("GET", "/v1/audit?since=2026-11-26T09:02:00Z&action=create", key: server.adminKey)
        #expect(since.array.count == 2)
        #expect(try server.request("GET", "/v1/audit?since=soon", key: server.adminKey).status == 400)
        #expect(try server.request("GET", "/v1/audit?cursor=\("[\"x\"]".data(using: .utf8)!.base64EncodedString())", key: server.adminKey).status == 400)
    }
}
