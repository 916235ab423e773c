import Foundation
import KithCore
import KithTestSupport
import SQLiteStore
import Testing

let surveyBody = #""name": "Walthamstow Wellbeing Walks", "kind": "community_group", "based_in": "walthamstow", "activities": ["health_and_wellbeing"], "beneficiaries": ["everyone"], "needs": ["publicity"], "contact": {"email": "walks@example.org"}, "consent_to_store": true"#

@Suite struct SurveyTests {
    @Test func aSubmissionLandsAsPendingAndOnlyStaffSeeIt() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let response = try fixture.survey(surveyBody)
        #expect(response.status == 202)
        let id = try #require(response.object["reference"] as? String)
        #expect(response.object["status"] as? String == "pending")

        #expect(try server.request("GET", "/v1/groups/\(id)").status == 404, "the public never sees pending groups")
        #expect(!(try server.request("GET", "/v1/groups?q=wellbeing").names.contains("Walthamstow Wellbeing Walks")))
        let officer = try server.request("GET", "/v1/groups/\(id)", key: server.adminKey)
        #expect(officer.object["status"] as? String == "pending" && officer.object["source"] as? String == "survey")
        #expect((officer.object["contact"] as? [String: Any])?["email"] as? String == "walks@example.org")
        let pending = try server.request("GET", "/v1/groups?status=pending", key: server.adminKey)
        #expect(Set(pending.names) == ["Walthamstow Wellbeing Walks", "Hamptons Mutual Aid"])

        let audit = try server.request("GET", "/v1/audit?resource_id=\(id)", key: server.adminKey)
        #expect(audit.array.first?["role"] as? String == "anonymous" && audit.array.first?["action"] as? String == "create")
    }

    @Test func refusesBadSubmissionsNamingEveryField() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let response = try server.request("POST", "/v1/groups/survey", json: #"""
            {"name": "", "kind": "spaceship", "based_in": "atlantis", "activities": ["food", "juggling"],
             "languages": ["English"], "contact": {"email": "not-an-email"}, "consent_to_store": false,
             "known_to_council": true, "location": {"latitude": 91, "longitude": 0}}
            """#)
        #expect(response.status == 422)
        #expect(Set(response.errorFields) == ["name", "kind", "activities[1]", "languages[0]", "contact.email", "consent_to_store",
                                              "known_to_council", "location.latitude"])
        let area = try server.request("POST", "/v1/groups/survey", json: #"{"name": "X", "kind": "charity", "based_in": "atlantis", "consent_to_store": true}"#)
        #expect(area.status == 422 && area.errorFields == ["based_in"])
    }

    @Test func abuseLimits() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        // A honeypot field people never see: answered alike, kept nowhere.
        let bot = try server.request("POST", "/v1/groups/survey", json: "{\(surveyBody), \"homepage\": \"http://spam.example\"}")
        #expect(bot.status == 202)
        #expect(try server.request("GET", "/v1/groups?q=wellbeing", key: server.adminKey).array.isEmpty)

        let huge = "{\(surveyBody), \"description\": \"\(String(repeating: "x", count: 17_000))\"}"
        #expect(try server.request("POST", "/v1/groups/survey", json: huge).status == 413)

        // Five per hour per address (the honeypot and the oversized body counted too).
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try server.request("POST", "/v1/groups/survey", json: "{\(surveyBody)}").status) }
        #expect(statuses == [202, 202, 202, 429, 429])
        let limited = try server.request("POST", "/v1/groups/survey", json: "{\(surveyBody)}")
        #expect(limited.header("RateLimit-Policy") == "\"survey\";q=5;w=3600")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 600)
    }

    @Test func possibleDuplicatesAreFlagged() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let sameName = try fixture.survey(#""name": "The Leyton food-bank!", "kind": "charity", "based_in": "leyton", "consent_to_store": true"#)
        let sameEmail = try fixture.survey(#""name": "LFB", "kind": "charity", "based_in": "leytonstone", "contact": {"email": "HELLO@leytonfoodbank.org"}, "consent_to_store": true"#)
        let samePhone = try fixture.survey(#""name": "Food parcels", "kind": "charity", "based_in": "walthamstow", "contact": {"phone": "+44 20 8123 4567"}, "consent_to_store": true"#)
        let otherCouncil = try fixture.survey(#""name": "Leyton Food Bank", "kind": "charity", "based_in": "castor", "consent_to_store": true"#)
        for response in [sameName, sameEmail, samePhone] {
            let id = try #require(response.object["reference"] as? String)
            let group = try server.request("GET", "/v1/groups/\(id)", key: server.adminKey)
            #expect(group.object["possible_duplicates"] as? [String] == [fixture["Leyton Food Bank"]])
        }
        let unrelated = try server.request("GET", "/v1/groups/\(otherCouncil.object["reference"] as? String ?? "")", key: server.adminKey)
        #expect(unrelated.object["possible_duplicates"] as? [String] == [], "same name in another council is another group")
        let flagged = try server.request("GET", "/v1/groups?possible_duplicates=true", key: server.adminKey)
        #expect(flagged.array.count == 3)
    }
}

@Suite struct PartnerBulkTests {
    @Test func upsertsByExternalIdIdempotently() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let partner = try server.makeKey(.partner, name: "Mapping Partner Ltd")
        let batch = #"""
            {"groups": [
              {"external_id": "mp-1", "name": "Leyton Men's Shed", "kind": "community_group", "based_in": "leyton", "activities": ["health_and_wellbeing"]},
              {"external_id": "mp-2", "name": "Castor Book Club", "kind": "community_group", "based_in": "castor"}
            ]}
            """#
        let first = try server.request("POST", "/v1/groups/bulk", key: partner, json: batch)
        #expect(first.status == 200)
        let results = first.object["results"] as? [[String: Any]] ?? []
        #expect(results.map { $0["outcome"] as? String } == ["created", "created"])
        let again = try server.request("POST", "/v1/groups/bulk", key: partner, json: batch)
        #expect((again.object["results"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["unchanged", "unchanged"])

        let change = #"{"groups": [{"external_id": "mp-1", "description": "Woodwork and company."}]}"#
        let changed = try server.request("POST", "/v1/groups/bulk", key: partner, json: change)
        #expect((changed.object["results"] as? [[String: Any]])?.first?["outcome"] as? String == "updated")
        let id = try #require(results.first?["id"] as? String)
        let group = try server.request("GET", "/v1/groups/\(id)", key: server.adminKey)
        #expect(group.object["description"] as? String == "Woodwork and company.")
        #expect(group.object["source"] as? String == "partner" && group.object["external_id"] as? String == "mp-1")
        #expect(group.object["status"] as? String == "pending")
    }

    @Test func aBadItemRejectsTheWholeBatch() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let partner = try server.makeKey(.partner, name: "Mapping Partner Ltd")
        let bad = try server.request("POST", "/v1/groups/bulk", key: partner, json: #"""
            {"groups": [{"external_id": "ok", "name": "Fine", "kind": "charity", "based_in": "leyton"},
                        {"external_id": "bad", "name": "No kind", "based_in": "leyton"}]}
            """#)
        #expect(bad.status == 422 && bad.errorFields == ["groups[1].kind"])
        let twice = try server.request("POST", "/v1/groups/bulk", key: partner, json: #"""
            {"groups": [{"external_id": "x", "name": "A", "kind": "charity", "based_in": "leyton"},
                        {"external_id": "x", "name": "B", "kind": "charity", "based_in": "leyton"}]}
            """#)
        #expect(twice.status == 422 && twice.errorFields == ["groups[1].external_id"])
        #expect(try server.request("GET", "/v1/groups?q=fine", key: server.adminKey).array.isEmpty, "nothing from a refused batch")
        #expect(try server.request("POST", "/v1/groups/bulk", key: try server.makeKey(.officer), json: "{}").status == 403)
    }
}

@Suite struct CSVTests {
    @Test func exportThenImportRoundTrips() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let export = try server.request("GET", "/v1/groups/export?status=verified", key: server.adminKey)
        #expect(export.status == 200 && export.header("Content-Type") == "text/csv; charset=utf-8")
        let lines = export.text.split(separator: "\r\n")
        #expect(lines.count == 7, "a header and six verified groups")
        #expect(lines[0].hasPrefix("id,name,description,kind,based_in"))

        // Into a fresh server: the same groups, with the same answers.
        let other = try TestServer()
        defer { other.stop() }
        try loadDemoAreas(other)
        let withoutIds = export.text.split(separator: "\r\n").map { line -> String in
            line.hasPrefix("id,") ? String(line) : "," + line.split(separator: ",", maxSplits: 1).dropFirst().joined()
        }.joined(separator: "\r\n")
        let imported = try other.request("POST", "/v1/groups/import", key: other.adminKey, json: withoutIds, headers: [("Content-Type", "text/csv")])
        #expect(imported.status == 200)
        #expect(imported.object["created"] as? Int == 6)
        let copy = try other.request("GET", "/v1/groups?q=leyton+food", key: other.adminKey).array.first
        #expect(copy?["activities"] as? [String] == ["advice", "food"])
        #expect(copy?["languages"] as? [String] == ["en", "pl"])
        #expect((copy?["contact"] as? [String: Any])?["phone"] as? String == "020 8123 4567")
        #expect((copy?["location"] as? [String: Any])?["latitude"] as? Double == 51.5615)
        #expect(copy?["charity_number"] as? String == "1123456")
        #expect(copy?["source"] as? String == "import")

        // The same file again, with ids, updates nothing.
        let reexport = try other.request("GET", "/v1/groups/export", key: other.adminKey)
        let again = try other.request("POST", "/v1/groups/import", key: other.adminKey, json: reexport.text, headers: [("Content-Type", "text/csv")])
        #expect(again.object["updated"] as? Int == 0 && again.object["created"] as? Int == 0)
    }

    @Test func aBadRowRejectsTheFileWithAReport() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let csv = "name,kind,based_in,activities,volunteers\nGood Group,charity,leyton,food,3\nBad Group,charity,atlantis,juggling,-1\n,charity,leyton,,\n"
        let response = try server.request("POST", "/v1/groups/import", key: server.adminKey, json: csv, headers: [("Content-Type", "text/csv")])
        #expect(response.status == 422)
        let rejected = response.object["rejected"] as? [[String: Any]] ?? []
        #expect(rejected.map { $0["row"] as? Int } == [3, 4])
        let fields = (rejected.first?["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(Set(fields) == ["activities[0]", "size.volunteers"])
        #expect(try server.request("GET", "/v1/groups?q=good+group", key: server.adminKey).array.isEmpty, "all or nothing")

        let unknownArea = "name,kind,based_in\nGood Group,charity,atlantis\n"
        let second = try server.request("POST", "/v1/groups/import", key: server.adminKey, json: unknownArea, headers: [("Content-Type", "text/csv")])
        #expect(second.status == 422 && (second.object["rejected"] as? [[String: Any]])?.first?["row"] as? Int == 2)
        #expect(try server.request("POST", "/v1/groups/import", key: server.adminKey, json: "nope,cols\n1,2\n", headers: [("Content-Type", "text/csv")]).status == 422)
    }

    @Test func csvCellsCannotBecomeFormulas() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        _ = try server.request("POST", "/v1/groups", key: server.adminKey, json: #"{"name": "=HYPERLINK(\"http://x\")", "kind": "charity", "based_in": "leyton"}"#)
        let export = try server.request("GET", "/v1/groups/export", key: server.adminKey)
        #expect(export.text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
    }
}

@Suite struct ConfirmationTests {
    @Test func yearlyReconfirmationByLink() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        #expect(try server.request("GET", "/v1/groups/due-for-confirmation", key: server.adminKey).array.isEmpty)
        server.clock.advance(seconds: 366 * 86_400)
        let due = try server.request("GET", "/v1/groups/due-for-confirmation", key: server.adminKey)
        #expect(due.array.count == 6, "every verified group, oldest first")
        #expect(due.names.first == "Leyton Food Bank")

        let id = fixture["Leyton Food Bank"]
        let link = try server.request("POST", "/v1/groups/\(id)/confirmation-link", key: server.adminKey)
        #expect(link.status == 201)
        let token = try #require(link.object["token"] as? String)
        let wrong = try server.request("POST", "/v1/groups/\(id)/confirm", json: #"{"token": "conf_nope"}"#)
        #expect(wrong.status == 403)
        let confirmed = try server.request("POST", "/v1/groups/\(id)/confirm",
                                           json: #"{"token": "\#(token)", "changes": {"meeting_pattern": "Saturdays 10-12"}}"#)
        #expect(confirmed.status == 200)
        #expect(confirmed.object["last_confirmed_at"] as? String == server.clock.now().rfc3339)
        #expect(try server.request("GET", "/v1/groups/\(id)").object["meeting_pattern"] as? String == "Saturdays 10-12")
        #expect(try server.request("POST", "/v1/groups/\(id)/confirm", json: #"{"token": "\#(token)"}"#).status == 403, "a link works once")
        #expect(try server.request("GET", "/v1/groups/due-for-confirmation", key: server.adminKey).array.count == 5)
        let other = fixture["Chingford Community Hall"]
        #expect(try server.request("POST", "/v1/groups/\(other)/confirm", json: #"{"token": "\#(token)"}"#).status == 403,
                "a link is for one group")
    }
}

@Suite struct BulkImportStatisticsTests {
    /// A partner's first big load: searches right after it should be planned on statistics that
    /// know the data, not blind until the next restart. With an Idempotency-Key the import runs
    /// inside the stored-response transaction, which holds the writer: it must still answer.
    @Test func aBigImportRefreshesThePlannersStatistics() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        func rows(_ prefix: String) -> String {
            "name,kind,based_in\n" + (0..<1000).map { "\(prefix) Group \($0),community_group,leyton\n" }.joined()
        }
        let keyed = try server.request("POST", "/v1/groups/import", key: server.adminKey, json: rows("Keyed"),
                                       headers: [("Content-Type", "text/csv"), ("Idempotency-Key", "bulk-1")])
        #expect(keyed.status == 200 && keyed.object["created"] as? Int == 1000)
        let plain = try server.request("POST", "/v1/groups/import", key: server.adminKey, json: rows("Plain"), headers: [("Content-Type", "text/csv")])
        #expect(plain.status == 200 && plain.object["created"] as? Int == 1000)
        let db = try Database(path: server.databasePath)
        let analysed = try db.scalarInt("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'groups'", []) ?? 0
        #expect(analysed > 0, "sqlite_stat1 has the groups' indexes")
    }
}
