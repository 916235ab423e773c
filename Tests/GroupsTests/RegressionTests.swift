import Foundation
import KithCore
import KithTestSupport
import Testing

/// Holes found in review, each pinned by a test.
@Suite struct GroupsRegressionTests {
    @Test func keysScopedToSomethingElseSeeNoGroupsAsStaff() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let officer = try server.makeKey(.officer, scope: Scope("network:leyton"))
        let list = try server.request("GET", "/v1/groups?status=pending", key: officer)
        #expect(list.status == 200 && list.array.isEmpty)
        let export = try server.request("GET", "/v1/groups/export", key: officer)
        #expect(export.text.split(separator: "\r\n").count == 1, "only the header")
        let viewer = try server.makeKey(.viewer, scope: Scope("area:leyton"))
        #expect(try server.request("GET", "/v1/groups/dashboard", key: viewer).object["total"] as? Int == 1,
                "a viewer's exact figures cover its own area only")
        #expect(try server.request("GET", "/v1/groups/dashboard?status=verified", key: viewer).status == 200)
    }

    @Test func publicFiguresCannotBeRecoveredBySubtraction() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let board = try server.request("GET", "/v1/groups/dashboard").object
        // 6 verified, 2 known to the council: both halves of the pair are hidden.
        #expect(board["known_to_council"] is NSNull && board["previously_unknown_to_council"] is NSNull)
        let areas = board["by_area"] as? [[String: Any]] ?? []
        #expect(areas.allSatisfy { $0["count"] is NSNull }, "with one small council hidden, the other is hidden too")
        #expect(areas.allSatisfy { $0["suppressed"] as? Bool == true })
    }

    @Test func aNewConfirmationLinkReplacesTheOldOne() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let id = fixture["Leyton Food Bank"]
        let first = try server.request("POST", "/v1/groups/\(id)/confirmation-link", key: server.adminKey)
        #expect(first.header("Location") == "/v1/groups/\(id)/confirm")
        let second = try server.request("POST", "/v1/groups/\(id)/confirmation-link", key: server.adminKey)
        let old = try #require(first.object["token"] as? String)
        let new = try #require(second.object["token"] as? String)
        #expect(try server.request("POST", "/v1/groups/\(id)/confirm", json: #"{"token": "\#(old)"}"#).status == 403)
        #expect(try server.request("POST", "/v1/groups/\(id)/confirm", json: #"{"token": "\#(new)"}"#).status == 200)
        let replay = try server.request("POST", "/v1/groups/\(id)/confirmation-link", key: server.adminKey, headers: [("Idempotency-Key", "k")])
        let retried = try server.request("POST", "/v1/groups/\(id)/confirmation-link", key: server.adminKey, headers: [("Idempotency-Key", "k")])
        #expect(replay.status == 201 && retried.status == 409 && retried.object["token"] == nil, "tokens are never replayed")
    }

    @Test func unchangedCapacityIsNotAChange() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let id = fixture["Chingford Community Hall"]
        let body = #"{"accepting_members": true}"#
        let first = try server.request("PUT", "/v1/groups/\(id)/capacity", key: server.adminKey, json: body)
        let second = try server.request("PUT", "/v1/groups/\(id)/capacity", key: server.adminKey, json: body)
        #expect(first.header("ETag") == second.header("ETag"))
    }

    @Test func phoneNumbersSurviveTheFormulaGuard() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        _ = try server.request("POST", "/v1/groups", key: server.adminKey,
                               json: #"{"name": "Plus Group", "kind": "charity", "based_in": "leyton", "contact": {"phone": "+44 7700 900123"}}"#)
        let export = try server.request("GET", "/v1/groups/export", key: server.adminKey)
        #expect(export.text.contains("'+44 7700 900123"))
        let back = try server.request("POST", "/v1/groups/import", key: server.adminKey, json: export.text, headers: [("Content-Type", "text/csv")])
        #expect(back.status == 200)
    }

    @Test func aCursorOnlyPagesItsOwnList() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let page = try server.request("GET", "/v1/groups?limit=2&sort=name")
        let cursor = try #require(page.object["next_cursor"] as? String)
        #expect(try server.request("GET", "/v1/groups?limit=2&sort=newest&cursor=\(cursor)").status == 400)
        #expect(try server.request("GET", "/v1/areas?cursor=\(cursor)").status == 400)
    }

    @Test func mergesOfUnpublishedGroupsStayHidden() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let survey = try fixture.survey(#""name": "Hamptons Mutual Aid Group", "kind": "mutual_aid_group", "based_in": "hamptons", "consent_to_store": true"#)
        let duplicate = try #require(survey.object["reference"] as? String)
        _ = try server.request("POST", "/v1/groups/\(duplicate)/merge", key: server.adminKey, json: #"{"into": "\#(fixture["Hamptons Mutual Aid"])"}"#)
        #expect(try server.request("GET", "/v1/groups/\(duplicate)").status == 404, "the group it became is not public either")
        #expect(try server.request("GET", "/v1/groups/\(duplicate)", key: server.adminKey).status == 308)
        let crossCouncil = try server.request("POST", "/v1/groups/\(fixture["Orton Litter Pickers"])/merge", key: server.adminKey,
                                              json: #"{"into": "\#(fixture["Leyton Food Bank"])"}"#)
        #expect(crossCouncil.status == 422)
    }
}
