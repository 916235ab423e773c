import Foundation
import KithCore
import KithTestSupport
import Testing

/// December 2026: Amal (a new arrival in Leyton) is matched with Layla (a Leyton buddy), who also
/// volunteers for credits; Ben (Walthamstow) only volunteers; the Leyton network has one resident
/// member; a befriending tea party had 8 people at it. So 4 people engaged, 8 reported reach.
struct ImpactFixture {
    let server: TestServer
    let groups: GroupsFixture
    var amal = ""
    var layla = ""
    var ben = ""
    var match = ""
    let consent = #"[{"purpose": "store_details", "given": true, "method": "written"}]"#

    init(_ server: TestServer) throws {
        self.server = server
        groups = try GroupsFixture(server)
        server.clock.set(Timestamp(rfc3339: "2026-12-01T09:00:00Z")!)
        let admin = server.adminKey
        layla = try Self.id(server.request("POST", "/v1/people", key: admin, json: #"""
            {"full_name": "Layla Haddad", "roles": ["volunteer"], "area_id": "leyton", "languages": ["ar"], "consents": \#(consent)}
            """#))
        for check in [#"{"kind": "dbs", "detail": "basic", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "reference", "detail": "employer", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "reference", "detail": "friend", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "training", "detail": "safeguarding", "status": "clear", "issued_on": "2026-01-05"}"#] {
            _ = try Self.id(server.request("POST", "/v1/people/\(layla)/checks", key: admin, json: check))
        }
        _ = try server.request("PUT", "/v1/people/\(layla)/offers/fan", key: admin, json: #"{"capacity": 1}"#)
        let referral = try Self.id(server.request("POST", "/v1/referrals", key: admin, json: #"""
            {"scheme": "fan", "source": "self", "person": {"full_name": "Amal Nasser", "area_id": "leyton", "consents": \#(consent)}}
            """#))
        amal = try #require(try server.request("GET", "/v1/referrals/\(referral)", key: admin).object["person_id"] as? String)
        match = try Self.id(server.request("POST", "/v1/matches", key: admin, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(layla)"}"#))
        _ = try server.request("POST", "/v1/matches/\(match)/introduce", key: admin)
        _ = try server.request("POST", "/v1/matches/\(match)/activate", key: admin)
        ben = try Self.id(server.request("POST", "/v1/people", key: admin, json: #"""
            {"full_name": "Ben Okoro", "roles": ["volunteer"], "area_id": "walthamstow", "consents": \#(consent)}
            """#))
        let org = try Self.id(server.request("POST", "/v1/credit-organisations", key: admin, json: #"{"name": "Leyton Food Bank", "earns": true, "area_id": "leyton"}"#))
        for person in [layla, ben] {
            let hours = try server.request("POST", "/v1/volunteering", key: admin, json: #"""
                {"person_id": "\#(person)", "organisation_id": "\#(org)", "on_date": "2026-12-01", "hours": 3, "activity": "events"}
                """#, headers: [("Idempotency-Key", UUID().uuidString)])
            guard hours.status == 201 else { throw TestClientError("hours: \(hours.text)") }
        }
        let network = try Self.id(server.request("POST", "/v1/networks", key: admin, json: #"{"name": "Leyton Community Network", "areas": ["leyton"], "status": "active"}"#))
        _ = try Self.id(server.request("POST", "/v1/networks/\(network)/members", key: admin, json: #"{"kind": "resident", "name": "Rosa Gomez"}"#))
        let provider = try Self.id(server.request("POST", "/v1/providers", key: admin, json: #"{"name": "Leyton Befrienders", "scheme": "befriending", "area_id": "leyton"}"#))
        _ = try Self.id(server.request("POST", "/v1/group-sessions", key: admin, json: #"""
            {"provider_id": "\#(provider)", "title": "Tea party", "held_at": "2026-12-01T15:00:00Z",
             "attendance": {"volunteers": {"25_34": 2}, "older_people": {"85_plus": 6}}}
            """#))
    }

    static func id(_ response: TestResponse) throws -> String {
        guard (200...201).contains(response.status), let id = response.object["id"] as? String else {
            throw TestClientError("expected a created resource: \(response.status) \(response.text)")
        }
        return id
    }
}

@Suite struct ImpactTests {
    @Test func peopleAreCountedOnceAcrossTheModulesAgainstTheTarget() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try ImpactFixture(server)
        let officer = try server.makeKey(.officer)
        let impact = try server.request("GET", "/v1/impact?from=2026-12&to=2026-12", key: officer)
        #expect(impact.status == 200)
        let i = impact.object
        #expect(i["people_engaged"] as? Int == 4, "Layla matched and volunteered: counted once")
        #expect(i["reported_reach"] as? Int == 8 && i["total"] as? Int == 12 && i["target"] as? Int == 50_000)
        #expect(NSDictionary(dictionary: i["by_source"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: ["matching": 2, "timecredits": 2, "networks": 1]))
        let areas = (i["by_area"] as? [[String: Any]] ?? []).map { ($0["area_id"] as? String ?? "", $0["people"] as? Int ?? 0) }
        #expect(areas.map(\.0) == ["leyton", "walthamstow"] && areas.map(\.1) == [3, 1])
        #expect((i["by_month"] as? [[String: Any]])?.first?["new_people"] as? Int == 4)
        let walthamstow = try server.request("GET", "/v1/impact?from=2026-12&to=2026-12&area=walthamstow", key: officer).object
        #expect(walthamstow["people_engaged"] as? Int == 1 && walthamstow["reported_reach"] as? Int == 0)
        #expect(try server.request("GET", "/v1/impact?from=2026-11&to=2026-11", key: officer).object["people_engaged"] as? Int == 0)

        // A programme board (viewer) sees no count of 1 to 4 people, nor a total that would give it away.
        let viewer = try server.makeKey(.viewer, name: "programme board")
        let board = try server.request("GET", "/v1/impact?from=2026-12&to=2026-12", key: viewer).object
        #expect(board["people_engaged"] is NSNull && board["total"] is NSNull && board["progress"] is NSNull)
        #expect(board["reported_reach"] as? Int == 8 && board["suppression_threshold"] as? Int == 5)
        #expect((board["by_area"] as? [[String: Any]] ?? []).allSatisfy { $0["people"] is NSNull })
        #expect(try server.request("GET", "/v1/impact?from=2026-11&to=2026-11", key: viewer).object["people_engaged"] as? Int == 0)

        #expect(try server.request("PATCH", "/v1/impact/settings", key: officer, json: #"{"target": 10}"#).status == 403)
        #expect(try server.request("PATCH", "/v1/impact/settings", key: server.adminKey, json: #"{"target": 10}"#).status == 200)
        #expect(try server.request("GET", "/v1/impact?from=2026-12&to=2026-12", key: officer).object["progress"] as? Double == 1.2)
        #expect(try server.request("GET", "/v1/impact?from=2026-13", key: viewer).status == 400)
        #expect(try server.request("GET", "/v1/impact", key: try server.makeKey(.partner)).status == 403)
    }

    @Test func measuresShowActualAgainstTargetOverTime() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try ImpactFixture(server)
        let officer = try server.makeKey(.officer)
        let computed = try ImpactFixture.id(server.request("POST", "/v1/measures", key: officer, json: #"""
            {"name": "Active buddy matches", "unit": "matches", "source": "active_fan_matches", "target": 1, "period": "month"}
            """#))
        let series = try server.request("GET", "/v1/measures/\(computed)?periods=3", key: officer).object["series"] as? [[String: Any]] ?? []
        #expect(series.compactMap { $0["period"] as? String } == ["2026-10", "2026-11", "2026-12"])
        #expect(series.compactMap { $0["value"] as? Double } == [0, 0, 1] && series.compactMap { $0["met"] as? Bool } == [false, false, true])
        #expect(try server.request("PUT", "/v1/measures/\(computed)/values/2026-12", key: officer, json: #"{"value": 3}"#).status == 409)
        // One active match is one pair of people: a board member sees the zeros but not the one.
        let board = try server.request("GET", "/v1/measures/\(computed)?periods=3", key: try server.makeKey(.viewer)).object["series"] as? [[String: Any]] ?? []
        #expect(board.compactMap { $0["value"] as? Double } == [0, 0] && board.last?["value"] is NSNull && board.last?["met"] is NSNull)

        let manual = try ImpactFixture.id(server.request("POST", "/v1/measures", key: officer, json: #"""
            {"name": "Residents at community events", "unit": "people", "source": "manual", "target": 500, "period": "quarter", "area_id": "leyton"}
            """#))
        #expect(try server.request("PUT", "/v1/measures/\(manual)/values/2026-11", key: officer, json: #"{"value": 3}"#).status == 400)
        #expect(try server.request("PUT", "/v1/measures/\(manual)/values/2026-Q4", key: officer, json: #"{"value": 620, "note": "Winter fair"}"#).status == 200)
        let quarters = try server.request("GET", "/v1/measures/\(manual)?periods=2", key: officer).object["series"] as? [[String: Any]] ?? []
        #expect(quarters.compactMap { $0["period"] as? String } == ["2026-Q3", "2026-Q4"])
        #expect(quarters.first?["value"] is NSNull && quarters.last?["value"] as? Double == 620 && quarters.last?["met"] as? Bool == true)
        let bad = try server.request("POST", "/v1/measures", key: officer, json: #"{"name": "x", "unit": "y", "source": "vibes", "target": 1, "period": "fortnight"}"#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["source", "period"])
        // Found by review: loose spellings were stored where no series would ever look.
        for period in ["2026-Q04", "2026-+4", "2026-", "-2026", "2026-Q4-", "2026-q4"] {
            #expect(try server.request("PUT", "/v1/measures/\(manual)/values/\(period)", key: officer, json: #"{"value": 1}"#).status == 400, "\(period)")
        }
        // The series is computed, so there is no ETag to go stale (a 304 would hide the new value).
        #expect(try server.request("GET", "/v1/measures/\(manual)", key: officer).header("ETag") == nil)

        // A key scoped to Chingford names an area of its own, and sees and changes only those measures.
        let scoped = try server.makeKey(.officer, scope: Scope("area:chingford"))
        #expect(try server.request("POST", "/v1/measures", key: scoped, json: #"{"name": "n", "unit": "u", "source": "manual", "target": 1, "period": "year"}"#).errorFields == ["area_id"])
        #expect(try server.request("POST", "/v1/measures", key: scoped, json: #"{"name": "n", "unit": "u", "source": "manual", "target": 1, "period": "year", "area_id": "leyton"}"#).status == 422)
        let own = try ImpactFixture.id(server.request("POST", "/v1/measures", key: scoped, json: #"""
            {"name": "Chingford fair", "unit": "people", "source": "manual", "target": 1, "period": "year", "area_id": "chingford"}
            """#))
        #expect(try server.request("GET", "/v1/measures", key: scoped).array.compactMap { $0["id"] as? String } == [own])
        #expect(try server.request("GET", "/v1/measures/\(manual)", key: scoped).status == 404)
        #expect(try server.request("PUT", "/v1/measures/\(manual)/values/2026-Q4", key: scoped, json: #"{"value": 1}"#).status == 404)
        #expect(try server.request("PATCH", "/v1/measures/\(computed)", key: scoped, json: #"{"target": 2}"#).status == 404)
        #expect(try server.request("GET", "/v1/measures", key: officer).array.count == 3)
    }

    @Test func surveyWavesShowTheChangeInPercentagePoints() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        let officer = try server.makeKey(.officer)
        let baseline = try server.request("POST", "/v1/surveys", key: officer, json: #"""
            {"survey": "Residents survey", "wave": "baseline", "period": "2025",
             "results": [{"question": "I feel I belong to my neighbourhood", "area_id": "leyton", "sample_size": 400, "share_agreeing": 85},
                         {"question": "Most of my friends share my ethnic group", "area_id": "leyton", "sample_size": 400, "share_agreeing": 69}]}
            """#)
        #expect(baseline.status == 201 && baseline.array.count == 2)
        #expect(try server.request("POST", "/v1/surveys", key: officer, json: #"""
            {"survey": "Residents survey", "wave": "follow_up", "period": "2026",
             "results": [{"question": "I feel I belong to my neighbourhood", "area_id": "leyton", "sample_size": 380, "share_agreeing": 88.5},
                         {"question": "Most of my friends share my ethnic group", "area_id": "leyton", "sample_size": 380, "share_agreeing": 64}]}
            """#).status == 201)
        let changes = try server.request("GET", "/v1/surveys/changes?area=leyton", key: try server.makeKey(.viewer)).array
        let points = changes.map { ($0["question"] as? String ?? "", $0["change_points"] as? Double ?? 0) }
        #expect(points.map(\.0) == ["I feel I belong to my neighbourhood", "Most of my friends share my ethnic group"])
        #expect(points.map(\.1) == [3.5, -5.0])
        let again = try server.request("POST", "/v1/surveys", key: officer, json: #"""
            {"survey": "Residents survey", "wave": "baseline", "period": "2025",
             "results": [{"question": "I feel I belong to my neighbourhood", "area_id": "leyton", "sample_size": 1, "share_agreeing": 1}]}
            """#)
        #expect(again.status == 409)
        let bad = try server.request("POST", "/v1/surveys", key: officer, json: #"{"survey": "x", "wave": "third", "period": "2026", "results": [{"question": "q", "sample_size": 0, "share_agreeing": 101}]}"#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["wave", "results[0].sample_size", "results[0].share_agreeing"])
        #expect(try server.request("POST", "/v1/surveys", key: officer, json: #"{"survey": "x", "wave": "baseline", "period": "2026", "results": []}"#).errorFields == ["results"])

        // A scoped key records and sees only its own areas' results.
        let scoped = try server.makeKey(.officer, scope: Scope("area:chingford"))
        let outside = try server.request("POST", "/v1/surveys", key: scoped, json: #"""
            {"survey": "Residents survey", "wave": "baseline", "period": "2025", "results": [{"question": "q", "area_id": "leyton", "sample_size": 10, "share_agreeing": 50}]}
            """#)
        #expect(outside.status == 422 && outside.errorFields == ["results[0].area_id"])
        #expect(try server.request("GET", "/v1/surveys", key: scoped).array.isEmpty)
        #expect(try server.request("GET", "/v1/surveys/changes", key: scoped).array.isEmpty)
        #expect(try server.request("GET", "/v1/surveys", key: officer).array.count == 4)
    }

    @Test func anAreaDashboardJoinsTheModulesAndShowsGaps() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try ImpactFixture(server)
        let dashboard = try server.request("GET", "/v1/areas/leyton/dashboard?from=2026-12&to=2026-12", key: try server.makeKey(.officer)).object
        let figures = dashboard["figures"] as? [String: Any] ?? [:]
        #expect((figures["matching"] as? [String: Any])?["active_fan_matches"] as? Int == 1)
        #expect((figures["timecredits"] as? [String: Any])?["hours_volunteered"] as? Double == 3, "Layla lives in Leyton; Ben does not")
        #expect((figures["groups"] as? [String: Any])?["mapped"] as? Int == 1)
        let gaps = dashboard["gaps"] as? [String: Any] ?? [:]
        #expect(gaps["needs_no_local_group_offers"] as? [String] == ["premises", "volunteers"], "the Food Bank's needs no Leyton group offers")
        #expect((gaps["beneficiaries_not_served"] as? [String])?.contains("older_people") == true)
        #expect((dashboard["networks"] as? [[String: Any]])?.first?["name"] as? String == "Leyton Community Network")
        // A board member sees the groups but not one match or one volunteer's hours.
        let board = try server.request("GET", "/v1/areas/leyton/dashboard?from=2026-12&to=2026-12", key: try server.makeKey(.viewer)).object
        let boardFigures = board["figures"] as? [String: Any] ?? [:]
        #expect((boardFigures["matching"] as? [String: Any])?["active_fan_matches"] is NSNull)
        #expect((boardFigures["timecredits"] as? [String: Any])?["hours_volunteered"] is NSNull)
        #expect((boardFigures["groups"] as? [String: Any])?["mapped"] as? Int == 1)
        let scoped = try server.makeKey(.officer, scope: Scope("area:chingford"))
        #expect(try server.request("GET", "/v1/areas/leyton/dashboard", key: scoped).status == 404)
        #expect(try server.request("GET", "/v1/areas/nowhere/dashboard", key: server.adminKey).status == 404)
    }

    @Test func aPersonsJourneyNeedsTheirConsentAndIsForOfficers() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try ImpactFixture(server)
        let officer = try server.makeKey(.officer)
        let refused = try server.request("GET", "/v1/people/\(f.layla)/journey", key: officer)
        #expect(refused.status == 403 && refused.object["type"] as? String == "urn:kith:problem:no-consent")
        #expect(try server.request("POST", "/v1/people/\(f.layla)/consents", key: officer,
                                   json: #"{"purpose": "outcome_surveys", "given": true, "method": "written"}"#).status == 201)
        let journey = try server.request("GET", "/v1/people/\(f.layla)/journey", key: officer).object
        let events = (journey["events"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(events == ["volunteered", "matched_as_volunteer"] || events == ["matched_as_volunteer", "volunteered"], "\(events)")
        #expect(try server.request("GET", "/v1/people/\(f.layla)/journey", key: try server.makeKey(.viewer)).status == 403)
    }

    @Test func theProgressReportBundlesEverythingAsJSONAndCSV() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try ImpactFixture(server)
        let officer = try server.makeKey(.officer)
        _ = try ImpactFixture.id(server.request("POST", "/v1/measures", key: officer, json: #"""
            {"name": "Hours volunteered", "unit": "hours", "source": "hours_volunteered", "target": 5, "period": "month"}
            """#))
        let manual = try ImpactFixture.id(server.request("POST", "/v1/measures", key: officer, json: #"""
            {"name": "Residents at events", "unit": "people", "source": "manual", "target": 500, "period": "quarter", "area_id": "leyton"}
            """#))
        #expect(try server.request("PUT", "/v1/measures/\(manual)/values/2026-Q4", key: officer, json: #"{"value": 620}"#).status == 200)
        let report = try server.request("GET", "/v1/impact/report?from=2026-11&to=2026-12", key: officer).object
        #expect((report["impact"] as? [String: Any])?["people_engaged"] as? Int == 4)
        #expect(((report["modules"] as? [String: Any])?["timecredits"] as? [String: Any])?["hours_volunteered"] as? Double == 6)
        // Each measure against its target in each of its own periods in the range.
        let measures = report["measures"] as? [[String: Any]] ?? []
        let hours = (measures.first { $0["name"] as? String == "Hours volunteered" }?["values"] as? [[String: Any]]) ?? []
        #expect(hours.compactMap { $0["period"] as? String } == ["2026-11", "2026-12"] && hours.compactMap { $0["met"] as? Bool } == [false, true])
        let events = (measures.first { $0["name"] as? String == "Residents at events" }?["values"] as? [[String: Any]]) ?? []
        #expect(events.count == 1 && events.first?["period"] as? String == "2026-Q4" && events.first?["value"] as? Double == 620,
                "a hand-entered quarter shows in a report that spans it")
        let csv = try server.request("GET", "/v1/impact/report?from=2026-11&to=2026-12&format=csv", key: officer)
        #expect(csv.header("Content-Type") == "text/csv; charset=utf-8")
        #expect(csv.text.contains("impact,people_engaged,2026-11..2026-12,4,50000\r\n"), "\(csv.text)")
        #expect(csv.text.contains("measure,Hours volunteered,2026-12,6,5\r\n") && csv.text.contains("measure,Residents at events,2026-Q4,620,500\r\n"))
        let accepted = try server.request("GET", "/v1/impact/report?from=2026-11&to=2026-12", key: officer, headers: [("Accept", "text/csv")])
        #expect(accepted.header("Content-Type") == "text/csv; charset=utf-8" && accepted.text == csv.text)
        // Another council's officer gets their own area's report: no Leyton measure in it.
        let scoped = try server.makeKey(.officer, scope: Scope("area:chingford"))
        let theirs = try server.request("GET", "/v1/impact/report?from=2026-11&to=2026-12", key: scoped).object
        #expect((theirs["measures"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } == [])
    }
}
