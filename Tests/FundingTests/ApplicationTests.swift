import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct ApplicationTests {
    @Test func eligibilityIsCheckedOnSubmissionAndEveryFailingRuleIsNamed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        // An unverified group cannot even start.
        let pending = try server.request("POST", "/v1/applications", key: f.mutualAid, json: #"""
            {"round_id": "\#(f.round)", "title": "Shopping runs", "amount_requested_pence": 100000}
            """#)
        #expect(pending.status == 422 && pending.object["type"] as? String == "urn:kith:problem:group-not-verified")
        #expect(pending.text.contains("Hamptons Mutual Aid is pending"))

        let good = try f.draft(f.foodBank)
        let eligible = try server.request("POST", "/v1/applications/\(good)/submit", key: f.foodBank)
        #expect(eligible.status == 200 && eligible.object["status"] as? String == "eligible")
        #expect((eligible.object["eligibility_failures"] as? [String])?.isEmpty == true)

        // Peterborough, not open to all, budget lines that do not add up.
        let far = try f.draft(f.litter, title: "Litter picks", openToAll: false, extra: #", "budget_lines": [{"item": "Grabbers", "amount_pence": 1000}]"#)
        let refused = try server.request("POST", "/v1/applications/\(far)/submit", key: f.litter)
        #expect(refused.object["status"] as? String == "ineligible")
        let failures = refused.object["eligibility_failures"] as? [String] ?? []
        #expect(failures.map { String($0.prefix(while: { $0 != ":" })) } == ["area", "open_to_all", "budget_lines"], "\(failures)")
        let trail = try server.request("GET", "/v1/applications/\(far)/events", key: f.litter).array
        #expect(trail.compactMap { $0["to"] as? String } == ["draft", "submitted", "ineligible"])
        #expect((trail.last?["reason"] as? String)?.contains("area: the project must be in waltham-forest") == true)

        // Outside the round's dates.
        let closedRound = try f.makeRound(name: "Last year's round", opens: "2025-11-01", closes: "2025-12-31")
        let late = try f.draft(f.foodBank, round: closedRound)
        let tooLate = try server.request("POST", "/v1/applications/\(late)/submit", key: f.foodBank)
        #expect(tooLate.status == 409 && tooLate.object["type"] as? String == "urn:kith:problem:round-closed")
        #expect(try server.request("GET", "/v1/applications/\(late)", key: f.foodBank).object["status"] as? String == "draft")
    }

    @Test func draftsArePrivateAndOnlyValidTransitionsHappen() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let id = try f.draft(f.esol, extra: #", "partner_group_ids": ["\#(f.groups["Leyton Food Bank"])"]"#)
        #expect(try server.request("GET", "/v1/applications/\(id)", key: f.foodBank).status == 404, "a partner sees it once submitted")
        #expect(try server.request("GET", "/v1/applications/\(id)", key: f.assessorA).status == 404, "assessors never see drafts")
        #expect(try server.request("GET", "/v1/applications/\(id)", key: f.officer).status == 404, "nor officers: drafts are the group's")
        #expect(try server.request("GET", "/v1/applications/\(id)", key: f.hall).status == 404)
        #expect(try server.request("GET", "/v1/applications/\(id)").status == 401)
        let edited = try server.request("PATCH", "/v1/applications/\(id)", key: f.esol, json: #"{"amount_requested_pence": 250000}"#)
        #expect(edited.status == 200 && edited.object["amount_requested_pence"] as? Int == 250000)

        #expect(try server.request("POST", "/v1/applications/\(id)/submit", key: f.esol).object["status"] as? String == "eligible")
        let early = try server.request("POST", "/v1/applications/\(id)/transitions", key: f.officer, json: #"{"to": "recommended", "reason": "x"}"#)
        #expect(early.status == 409 && early.object["type"] as? String == "urn:kith:problem:invalid-transition")
        #expect(early.object["allowed"] as? [String] == ["under_assessment", "withdrawn"] && early.object["current_status"] as? String == "eligible")
        #expect(early.object["status"] as? Int == 409)
        #expect(try server.request("GET", "/v1/applications/\(id)", key: f.foodBank).status == 200)
        #expect(try server.request("PATCH", "/v1/applications/\(id)", key: f.esol, json: #"{"title": "New"}"#).status == 409, "submitted is final")
        #expect(try server.request("POST", "/v1/applications/\(id)/transitions", key: f.esol, json: #"{"to": "under_assessment"}"#).status == 403)
        try f.move(id, to: "under_assessment")
        let noReason = try server.request("POST", "/v1/applications/\(id)/transitions", key: f.officer, json: #"{"to": "declined"}"#)
        #expect(noReason.status == 422 && noReason.errorFields == ["reason"])
        try f.move(id, to: "declined", reason: "Stronger bids for the same area")
        let award = try f.money("POST", "/v1/applications/\(id)/award", json: #"{"amount_pence": 100000}"#)
        #expect(award.status == 409 && award.object["type"] as? String == "urn:kith:problem:invalid-transition")
        #expect(try server.request("POST", "/v1/applications/\(id)/withdraw", key: f.esol).status == 409)
        let trail = try server.request("GET", "/v1/applications/\(id)/events", key: f.officer).array
        #expect(trail.compactMap { $0["to"] as? String } == ["draft", "submitted", "eligible", "under_assessment", "declined"])
        let officerId = try FundingFixture.keyId(server, f.officer)
        #expect(trail.last?["key_id"] as? String == officerId && trail.last?["reason"] as? String == "Stronger bids for the same area")

        // Lists page whole: the group sees each of its applications once, a page at a time.
        for n in 0..<3 { _ = try f.draft(f.esol, title: "Idea \(n)") }
        var seen: [String] = []
        var cursor: String? = nil
        repeat {
            let page = try server.request("GET", "/v1/applications?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), key: f.esol)
            seen += page.ids
            cursor = page.object["next_cursor"] as? String
        } while cursor != nil
        #expect(seen.count == 4 && Set(seen).count == 4)
        #expect(try server.request("GET", "/v1/applications", key: f.officer).ids == [id], "officers never list drafts")
        #expect(try server.request("GET", "/v1/applications", key: f.foodBank).ids == [id], "the partner group sees the submitted one")

        let other = try f.draft(f.hall, title: "Hall roof")
        let withdrawn = try server.request("POST", "/v1/applications/\(other)/withdraw", key: f.hall, json: #"{"reason": "Found other money"}"#)
        #expect(withdrawn.status == 200 && withdrawn.object["status"] as? String == "withdrawn")
    }

    @Test func volunteerHoursInTimeCreditsCountAsInKindMatchFunding() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let org = try FundingFixture.id(server.request("POST", "/v1/credit-organisations", key: server.adminKey, json: #"""
            {"name": "Leyton Food Bank", "earns": true, "group_id": "\#(f.groups["Leyton Food Bank"])", "area_id": "leyton"}
            """#))
        let volunteer = try FundingFixture.id(server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "Sam Lee", "roles": ["volunteer"], "area_id": "leyton", "consents": [{"purpose": "store_details", "given": true, "method": "written"}]}
            """#))
        for day in ["2026-10-01", "2026-10-08", "2025-06-01"] {
            let hours = try server.request("POST", "/v1/volunteering", key: f.foodBank, json: #"""
                {"person_id": "\#(volunteer)", "organisation_id": "\#(org)", "on_date": "\#(day)", "hours": 5, "activity": "events"}
                """#, headers: [("Idempotency-Key", UUID().uuidString)])
            #expect(hours.status == 201, "\(hours.text)")
        }
        let id = try f.draft(f.foodBank)
        let submitted = try server.request("POST", "/v1/applications/\(id)/submit", key: f.foodBank)
        #expect(submitted.object["in_kind_hours"] as? Double == 10, "the past year's hours, not last year's")
        #expect(submitted.object["in_kind_value_pence"] as? Int == 15000)
    }

    @Test func aNetworksAdoptedPrioritiesCanBeARoundsCriteria() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let round = try server.request("POST", "/v1/rounds", key: server.adminKey, json: #"""
            {"programme_id": "\#(f.programme)", "name": "Leyton priorities fund", "opens_on": "2026-11-01", "closes_on": "2027-01-31",
             "budget_pence": 500000, "min_grant_pence": 10000, "max_grant_pence": 100000, "criteria_from_network": "\#(f.leyton)"}
            """#)
        #expect(round.status == 201)
        let criteria = round.object["criteria"] as? [[String: Any]] ?? []
        #expect(criteria.compactMap { $0["id"] as? String } == [f.priority])
        #expect(criteria.first?["name"] as? String == "English practice for new arrivals")
        #expect(round.object["network_ids"] as? [String] == [f.leyton])
        let bad = try server.request("POST", "/v1/rounds", key: server.adminKey, json: #"""
            {"programme_id": "\#(f.programme)", "name": "x", "opens_on": "2026-11-01", "closes_on": "2026-10-01", "budget_pence": 100,
             "min_grant_pence": 500, "max_grant_pence": 100}
            """#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["closes_on", "criteria"])
        #expect(try server.request("GET", "/v1/rounds?open=true").array.count == 2, "rounds are public")
    }
}
