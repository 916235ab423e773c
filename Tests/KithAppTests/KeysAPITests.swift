import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct KeysAPITests {
    @Test func createShowsTheSecretOnceWithLocationAndETag() throws {
        let server = try TestServer()
        defer { server.stop() }
        let created = try server.request("POST", "/v1/keys", key: server.adminKey,
                                         json: #"{"name": "Leyton facilitator", "role": "facilitator", "scope": "network:leyton", "expires_at": "2027-01-01T00:00:00Z"}"#)
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? String)
        #expect(created.header("Location") == "/v1/keys/\(id)")
        #expect(created.header("ETag") == "\"1\"")
        #expect((created.object["key"] as? String)?.hasPrefix("kith_") == true)
        #expect(created.object["scope"] as? String == "network:leyton")
        #expect(created.object["status"] as? String == "active")
        #expect(created.object["expires_at"] as? String == "2027-01-01T00:00:00.000Z")

        let shown = try server.request("GET", "/v1/keys/\(id)", key: server.adminKey)
        #expect(shown.status == 200)
        #expect(shown.object["key"] == nil)
        #expect(shown.object["name"] as? String == "Leyton facilitator")
        #expect(shown.header("ETag") == "\"1\"")
    }

    @Test func createValidatesEveryField() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.request("POST", "/v1/keys", key: server.adminKey,
                                          json: #"{"name": "", "role": "emperor", "scope": "planet:mars", "expires_at": "2020-01-01T00:00:00Z", "colour": "red"}"#)
        #expect(response.status == 422)
        let fields = Set((response.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        #expect(fields == ["name", "role", "scope", "expires_at", "colour"])
        #expect(try server.app.services.database.read { db in try APIKeys.count(db) } == 1, "nothing was written")
    }

    @Test func listPagesWithCursorAndFilters() throws {
        let server = try TestServer()
        defer { server.stop() }
        for i in 0..<5 {
            server.clock.advance(seconds: 1)
            _ = try server.makeKey(i % 2 == 0 ? .partner : .viewer, name: "key \(i)")
        }
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/v1/keys?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try server.request("GET", path, key: server.adminKey)
            #expect(page.status == 200)
            seen += page.array.compactMap { $0["id"] as? String }
            cursor = page.object["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen.count == 6 && Set(seen).count == 6, "every key once, none repeated")

        let partners = try server.request("GET", "/v1/keys?role=partner", key: server.adminKey)
        #expect(partners.array.count == 3)
        let since = try server.request("GET", "/v1/keys?updated_since=2026-11-26T09:00:04Z", key: server.adminKey)
        #expect(since.array.count == 2)
        #expect(try server.request("GET", "/v1/keys?role=emperor", key: server.adminKey).status == 400)
        #expect(try server.request("GET", "/v1/keys?cursor=garbage", key: server.adminKey).status == 400)
        #expect(try server.request("GET", "/v1/keys?sort=name", key: server.adminKey).status == 400)
    }

    @Test func patchHonoursIfMatchAndIfNoneMatch() throws {
        let server = try TestServer()
        defer { server.stop() }
        let created = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "a", "role": "viewer"}"#)
        let id = try #require(created.object["id"] as? String)

        let renamed = try server.request("PATCH", "/v1/keys/\(id)", key: server.adminKey, json: #"{"name": "board"}"#,
                                         headers: [("If-Match", "\"1\"")])
        #expect(renamed.status == 200)
        #expect(renamed.header("ETag") == "\"2\"")
        #expect(renamed.object["name"] as? String == "board")

        let stale = try server.request("PATCH", "/v1/keys/\(id)", key: server.adminKey, json: #"{"name": "lost update"}"#,
                                       headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(stale.object["type"] as? String == "urn:kith:problem:precondition-failed")
        #expect(try server.request("GET", "/v1/keys/\(id)", key: server.adminKey).object["name"] as? String == "board")

        let notModified = try server.request("GET", "/v1/keys/\(id)", key: server.adminKey, headers: [("If-None-Match", "\"2\"")])
        #expect(notModified.status == 304 && notModified.body.isEmpty && notModified.header("ETag") == "\"2\"")

        let audit = try server.request("GET", "/v1/audit?resource_id=\(id)", key: server.adminKey)
        #expect(audit.array.map { $0["action"] as? String } == ["update", "create"])
        #expect(audit.array.first?["changes"] as? [String] == ["name"])
        #expect(audit.array.first?["role"] as? String == "admin")
        #expect(audit.array.first?["request_id"] as? String == renamed.header("X-Request-Id"))
    }

    @Test func scopedAdminSeesAndMakesOnlyItsOwnScope() throws {
        let server = try TestServer()
        defer { server.stop() }
        for area in [#"{"id": "peterborough", "name": "Peterborough", "kind": "council"}"#,
                     #"{"id": "orton", "name": "The Ortons", "kind": "area", "parent_id": "peterborough"}"#,
                     #"{"id": "waltham-forest", "name": "Waltham Forest", "kind": "council"}"#] {
            #expect(try server.request("POST", "/v1/areas", key: server.adminKey, json: area).status == 201)
        }
        let scopedAdmin = try server.makeKey(.admin, scope: Scope("area:peterborough"))
        _ = try server.makeKey(.officer, scope: Scope("area:waltham-forest"))
        let own = try server.request("POST", "/v1/keys", key: scopedAdmin, json: #"{"name": "o", "role": "officer", "scope": "area:peterborough"}"#)
        #expect(own.status == 201)
        let other = try server.request("POST", "/v1/keys", key: scopedAdmin, json: #"{"name": "o", "role": "officer", "scope": "area:waltham-forest"}"#)
        #expect(other.status == 403)
        let unscoped = try server.request("POST", "/v1/keys", key: scopedAdmin, json: #"{"name": "o", "role": "admin"}"#)
        #expect(unscoped.status == 403)
        let inside = try server.request("POST", "/v1/keys", key: scopedAdmin, json: #"{"name": "o", "role": "officer", "scope": "area:orton"}"#)
        #expect(inside.status == 201, "an area inside the admin's own is inside its scope")
        let nowhere = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "o", "role": "officer", "scope": "area:atlantis"}"#)
        #expect(nowhere.status == 422)
        let listed = try server.request("GET", "/v1/keys", key: scopedAdmin)
        #expect(Set(listed.array.compactMap { $0["scope"] as? String }) == ["area:peterborough", "area:orton"])
        #expect(listed.array.count == 3)
    }
}

@Suite struct IdempotencyTests {
    @Test func retryReturnsTheFirstAnswerWithoutRepeatingTheWork() throws {
        let server = try TestServer()
        defer { server.stop() }
        let body = #"{"name": "mapping partner", "role": "partner"}"#
        let first = try server.request("POST", "/v1/keys", key: server.adminKey, json: body, headers: [("Idempotency-Key", "7f0c1d9e-retry")])
        #expect(first.status == 201)
        let retry = try server.request("POST", "/v1/keys", key: server.adminKey, json: body, headers: [("Idempotency-Key", "7f0c1d9e-retry")])
        // A new key's secret is never stored, so the retry says what was created instead.
        #expect(retry.status == 409)
        #expect(retry.header("Idempotent-Replayed") == "true")
        #expect(retry.header("Location") == first.header("Location"))
        #expect(try server.app.services.database.read { db in try APIKeys.count(db) } == 2, "one key made, not two")

        let reused = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "other", "role": "partner"}"#,
                                        headers: [("Idempotency-Key", "7f0c1d9e-retry")])
        #expect(reused.status == 422)
        #expect(reused.object["type"] as? String == "urn:kith:problem:idempotency-key-reused")
        #expect(try server.request("POST", "/v1/keys", key: server.adminKey, json: body, headers: [("Idempotency-Key", "")]).status == 400)
    }

    @Test func concurrentRetriesMakeOneKey() throws {
        let server = try TestServer()
        defer { server.stop() }
        let statuses = LockedArray()
        runConcurrently(8) { _ in
            let response = try? server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "p", "role": "partner"}"#,
                                               headers: [("Idempotency-Key", "same-key")])
            statuses.append(response?.status ?? 0)
        }
        #expect(statuses.values.sorted() == [201, 409, 409, 409, 409, 409, 409, 409])
        #expect(try server.app.services.database.read { db in try APIKeys.count(db) } == 2)
    }

    @Test func failedRequestsAreNotStored() throws {
        let server = try TestServer()
        defer { server.stop() }
        let bad = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "p"}"#, headers: [("Idempotency-Key", "k1")])
        #expect(bad.status == 422)
        let count = try server.app.services.database.read { db in try db.scalarInt("SELECT count(*) FROM idempotency_keys") }
        #expect(count == 0, "a refused request changed nothing, so there is nothing to replay")
        // The key is still free: the corrected request goes through under it.
        let fixed = try server.request("POST", "/v1/keys", key: server.adminKey, json: #"{"name": "p", "role": "viewer"}"#,
                                       headers: [("Idempotency-Key", "k1")])
        #expect(fixed.status == 201 && fixed.header("Idempotent-Replayed") == nil)
    }
}

final class LockedArray: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []
    func append(_ value: Int) { lock.lock(); storage.append(value); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return storage }
}
