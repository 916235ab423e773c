import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct SchemeReportTests {
    /// December 2026 for FAN: four new arrivals referred on the 1st; two matched (after 2 and 10
    /// days), one of those ended on the 20th (moved away); three contacts (60 + 90 + 30 minutes);
    /// English confidence scored twice for each matched person. The report is read on the 21st.
    @Test func theMonthlyReportAddsUpAgainstAKnownFixture() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let layla = try f.volunteer("Layla Haddad", area: "leyton", languages: ["ar"])
        let grace = try f.volunteer("Grace Okafor", area: "walthamstow", languages: ["ar"], capacity: 1)
        let (amalReferral, amal) = try f.referNewArrival("Amal Nasser")
        _ = try f.referNewArrival("Yusuf Karim")
        let (saraReferral, sara) = try f.referNewArrival("Sara Tesfaye", area: "walthamstow")
        _ = try f.referNewArrival("Nadia Rahman")

        f.advance(days: 2)
        let amalMatch = try f.activeMatch(referral: amalReferral, volunteer: layla)
        try f.ok("POST", "/v1/people/\(amal)/outcomes", json: #"{"scheme": "fan", "measure": "english_confidence", "stage": "start", "score": 2}"#)
        f.advance(days: 8)
        let saraMatch = try f.activeMatch(referral: saraReferral, volunteer: grace)
        try f.ok("POST", "/v1/people/\(sara)/outcomes", json: #"{"scheme": "fan", "measure": "english_confidence", "stage": "start", "score": 1}"#)
        for (match, minutes) in [(amalMatch, 60), (amalMatch, 90), (saraMatch, 30)] {
            try f.ok("POST", "/v1/matches/\(match)/contacts", json: #"{"happened_at": "2026-12-11T08:00:00Z", "minutes": \#(minutes), "kind": "social"}"#)
        }
        f.advance(days: 9)
        try f.ok("POST", "/v1/people/\(amal)/outcomes", json: #"{"scheme": "fan", "measure": "english_confidence", "stage": "end", "score": 4}"#)
        try f.ok("POST", "/v1/people/\(sara)/outcomes", json: #"{"scheme": "fan", "measure": "english_confidence", "stage": "review", "score": 2}"#)
        try f.ok("POST", "/v1/matches/\(saraMatch)/end", json: #"{"reason": "moved_away"}"#)
        f.advance(days: 1)

        let viewer = try server.makeKey(.viewer, name: "programme board")
        let report = try server.request("GET", "/v1/schemes/fan/report?month=2026-12", key: f.officer)
        #expect(report.status == 200)
        let r = report.object
        #expect(r["scheme"] as? String == "fan" && r["month"] as? String == "2026-12")
        #expect(NSDictionary(dictionary: r["waiting"] as? [String: Any] ?? [:]) ==
                NSDictionary(dictionary: ["people": 2, "average_days": 20, "longest_days": 20, "over_target": 2, "target_days": 14]))
        #expect(r["active_matches"] as? Int == 1)
        #expect(NSDictionary(dictionary: r["contacts"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: ["count": 3, "hours": 3.0]))
        #expect(NSDictionary(dictionary: r["ended"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: ["moved_away": 1]))
        #expect(NSDictionary(dictionary: r["time_to_match"] as? [String: Any] ?? [:]) ==
                NSDictionary(dictionary: ["matches": 2, "average_days": 6.0, "within_target": 2]))
        let outcomes = r["outcomes"] as? [[String: Any]] ?? []
        #expect(outcomes.count == 1)
        #expect(NSDictionary(dictionary: outcomes.first ?? [:]) == NSDictionary(dictionary: [
            "measure": "english_confidence", "people": 2, "average_first": 1.5, "average_latest": 3.0, "average_change": 1.5,
        ]))
        #expect(r["volunteers_with_checks_expiring"] as? Int == 0)
        #expect(r["suppression_threshold"] is NSNull && r["area"] is NSNull)

        // A programme board sees no count under 5, nor an average over fewer than 5 people.
        let board = try server.request("GET", "/v1/schemes/fan/report?month=2026-12", key: viewer).object
        #expect(board["suppression_threshold"] as? Int == 5)
        #expect((board["waiting"] as? [String: Any])?["people"] is NSNull && (board["waiting"] as? [String: Any])?["average_days"] is NSNull)
        #expect((board["waiting"] as? [String: Any])?["target_days"] as? Int == 14)
        #expect(board["active_matches"] is NSNull && (board["contacts"] as? [String: Any])?["hours"] is NSNull)
        #expect((board["ended"] as? [String: Any])?["moved_away"] is NSNull)
        #expect((board["outcomes"] as? [[String: Any]])?.first?["average_change"] is NSNull)
        #expect(board["volunteers_with_checks_expiring"] as? Int == 0, "nothing to hide in a zero")

        // By area: only Sara lives in Walthamstow.
        let walthamstow = try server.request("GET", "/v1/schemes/fan/report?month=2026-12&area=walthamstow", key: f.officer).object
        #expect(walthamstow["area"] as? String == "walthamstow")
        #expect((walthamstow["waiting"] as? [String: Any])?["people"] as? Int == 0)
        #expect(walthamstow["active_matches"] as? Int == 0)
        #expect(NSDictionary(dictionary: walthamstow["contacts"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: ["count": 1, "hours": 0.5]))
        #expect((walthamstow["time_to_match"] as? [String: Any])?["average_days"] as? Double == 10.0)
        #expect((walthamstow["outcomes"] as? [[String: Any]])?.first?["average_change"] as? Double == 1.0)

        // November had none of it.
        let november = try server.request("GET", "/v1/schemes/fan/report?month=2026-11", key: f.officer).object
        #expect((november["contacts"] as? [String: Any])?["count"] as? Int == 0)
        #expect((november["ended"] as? [String: Any])?.isEmpty == true)

        #expect(try server.request("GET", "/v1/schemes/fan/report?month=2026-13", key: viewer).status == 400)
        #expect(try server.request("GET", "/v1/schemes/fan/report?colour=red", key: viewer).status == 400)
        #expect(try server.request("GET", "/v1/schemes/tennis/report", key: viewer).status == 404)
        #expect(try server.request("GET", "/v1/schemes/fan/report", key: try server.makeKey(.partner)).status == 403)
        #expect(!report.text.contains("Amal") && !report.text.contains("Layla"), "counts only")
    }

    @Test func aCoordinatorsReportCoversOnlyTheirProvider() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        _ = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        _ = try f.referOlderPerson("Arthur Jones", coordinator: f.coordinatorA)
        _ = try f.referOlderPerson("Bea Long", coordinator: f.coordinatorB, area: "chingford")
        let ours = try server.request("GET", "/v1/schemes/befriending/report?provider=\(f.providerB)", key: f.coordinatorA).object
        #expect(ours["provider"] as? String == f.providerA, "a coordinator's report is their own provider's whatever they ask")
        #expect((ours["waiting"] as? [String: Any])?["people"] as? Int == 2)
        let all = try server.request("GET", "/v1/schemes/befriending/report", key: f.officer).object
        #expect((all["waiting"] as? [String: Any])?["people"] as? Int == 3)
        let chingford = try server.request("GET", "/v1/schemes/befriending/report", key: f.chingfordOfficer).object
        #expect((chingford["waiting"] as? [String: Any])?["people"] as? Int == 1)
        #expect(try server.request("GET", "/v1/schemes/befriending/report?area=leyton", key: f.chingfordOfficer).status == 403)
    }

    @Test func schemeSettingsAreAdminsToChange() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let schemes = try server.request("GET", "/v1/schemes", key: f.officer)
        #expect(schemes.ids == ["fan", "befriending"])
        #expect(try server.request("PATCH", "/v1/schemes/fan", key: f.officer, json: #"{"default_capacity": 3}"#).status == 403)
        let changed = try server.request("PATCH", "/v1/schemes/fan", key: server.adminKey,
                                         json: #"{"default_capacity": 3, "match_target_days": 10}"#, headers: [("If-Match", "\"1\"")])
        #expect(changed.status == 200 && changed.object["default_capacity"] as? Int == 3 && changed.header("ETag") == "\"2\"")
        let bad = try server.request("PATCH", "/v1/schemes/fan", key: server.adminKey, json: #"""
            {"default_capacity": 0, "required_checks": [{"kind": "vibes"}, {"kind": "dbs", "detail": "foo"}]}
            """#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["default_capacity", "required_checks[0].kind", "required_checks[0].detail",
                                                               "required_checks[1].detail"])
        let same = try server.request("PATCH", "/v1/schemes/fan", key: server.adminKey, json: #"{"default_capacity": 3}"#)
        #expect(same.status == 200 && same.header("ETag") == "\"2\"", "no change, no new version")

        let created = try server.request("POST", "/v1/providers", key: f.officer, json: #"{"name": "Walthamstow Buddies", "scheme": "fan"}"#)
        let location = try #require(created.header("Location"))
        #expect(try server.request("GET", location, key: f.coordinatorA).object["name"] as? String == "Walthamstow Buddies")
    }
}
