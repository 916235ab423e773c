import KithCore
import KithTestSupport
import Testing

@Suite struct AuthTests {
    @Test func missingKeyIs401WithBearerChallenge() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v1/keys")
        #expect(response.status == 401)
        #expect(response.header("WWW-Authenticate") == "Bearer realm=\"kith\"")
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.object["type"] as? String == "urn:kith:problem:unauthorized")
        #expect(response.object["status"] as? Int == 401)
        #expect(response.object["request_id"] as? String == response.header("X-Request-Id"))
    }

    @Test func wrongAndMalformedKeysAre401() throws {
        let server = try TestServer()
        defer { server.stop() }
        let wrong = try server.request("GET", "/v1/keys", key: "kith_" + String(repeating: "a", count: 52))
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate")?.contains("error=\"invalid_token\"") == true)
        #expect((wrong.object["detail"] as? String)?.contains("not recognised") == true)

        let basic = try server.request("GET", "/v1/keys", headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")])
        #expect(basic.status == 401)
        #expect(basic.header("WWW-Authenticate")?.contains("invalid_request") == true)

        // Probes ignore keys: a stray header must not make a load balancer think Kith is down.
        #expect(try server.request("GET", "/healthz", key: "kith_nope").status == 200)
        #expect(try server.request("GET", "/readyz", headers: [("Authorization", "Basic eDp5")]).status == 200)
    }

    @Test func expiredKeyIsRefusedOnceItsTimeHasPassed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let key = try server.makeKey(.officer, expiresAt: server.clock.now().adding(seconds: 60))
        #expect(try server.request("GET", "/v1/me", key: key).status == 200)
        server.clock.advance(seconds: 61)
        let response = try server.request("GET", "/v1/me", key: key)
        #expect(response.status == 401)
        #expect((response.object["detail"] as? String)?.contains("expired") == true)
    }

    @Test func revokedKeyIsRefusedAtOnce() throws {
        let server = try TestServer()
        defer { server.stop() }
        let created = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "partner", "role": "partner"}"#)
        #expect(created.status == 201)
        let secret = try #require(created.object["key"] as? String)
        let id = try #require(created.object["id"] as? String)
        let me = try server.request("GET", "/v1/me", key: secret)
        #expect(me.status == 200)
        #expect(me.object["id"] as? String == id && me.object["role"] as? String == "partner")
        #expect(me.object["key"] == nil, "the secret is never shown again")

        #expect(try server.request("DELETE", "/v1/keys/\(id)", key: server.adminKey).status == 204)
        let refused = try server.request("GET", "/v1/me", key: secret)
        #expect(refused.status == 401)
        #expect((refused.object["detail"] as? String)?.contains("revoked") == true)
        #expect(try server.request("DELETE", "/v1/keys/\(id)", key: server.adminKey).status == 204, "revoking twice is harmless")
    }

    @Test func roleMayNotCallAdminRoutes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let officer = try server.makeKey(.officer)
        let response = try server.request("GET", "/v1/keys", key: officer)
        #expect(response.status == 403)
        #expect(response.object["type"] as? String == "urn:kith:problem:role-not-permitted")
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test func storesOnlyAHashOfEachKey() throws {
        let server = try TestServer()
        defer { server.stop() }
        let stored = try server.app.services.database.read { db in
            try db.query("SELECT secret_hash, hint FROM api_keys") { ($0.string(0), $0.string(1)) }
        }
        #expect(stored.count == 1)
        #expect(stored[0].0 == Digest.sha256Hex(server.adminKey))
        #expect(!stored[0].0.contains(server.adminKey) && server.adminKey.hasPrefix(stored[0].1))
    }
}

/// Walks the whole permission table: every route, every role, and no key at all.
@Suite struct PermissionTableTests {
    @Test func everyRouteAnswersEveryRoleAsTheTableSays() throws {
        // Hundreds of calls from one address: rate limits are tested elsewhere.
        let server = try TestServer { $0.settings.rateLimits.enabled = false }
        defer { server.stop() }
        var keys: [Role: String] = [:]
        for role in Role.allCases { keys[role] = try server.makeKey(role) }
        let table = server.app.router.permissionTable
        #expect(table.count >= 11)
        for entry in table {
            let path = entry.pattern.replacingOccurrences(of: "{", with: "x").replacingOccurrences(of: "}", with: "")
            let body = ["POST", "PUT", "PATCH"].contains(entry.method) ? "{}" : nil
            for role in Role.allCases {
                let response = try server.request(entry.method, path, key: keys[role], json: body)
                // A handler may still refuse a record (403 forbidden: wrong scope); the table's refusal is its own type.
                let refusedByTable = response.object["type"] as? String == "urn:kith:problem:role-not-permitted"
                if entry.access.allows(role) {
                    #expect(response.status != 401 && !refusedByTable,
                            "\(role) should reach \(entry.method) \(entry.pattern), got \(response.status)")
                } else {
                    #expect(response.status == 403 && refusedByTable, "\(role) must get 403 from \(entry.method) \(entry.pattern), got \(response.status)")
                }
            }
            let anonymous = try server.request(entry.method, path, json: body)
            if entry.access.allows(nil) {
                #expect(anonymous.status != 401 && anonymous.status != 403, "anyone may call \(entry.method) \(entry.pattern)")
            } else {
                #expect(anonymous.status == 401, "\(entry.method) \(entry.pattern) without a key must be 401, got \(anonymous.status)")
            }
        }
    }
}
