import Foundation
import KithCore
import KithTestSupport
import Synchronization
import Testing

@Suite struct GrantTests {
    @Test func concurrentAwardsNeverExceedTheRoundsBudget() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        // Six recommended applications of £3,000 against a £10,000 budget: three fit.
        var ids: [String] = []
        for (i, key) in [f.foodBank, f.esol, f.hall, f.foodBank, f.esol, f.hall].enumerated() {
            let id = try f.underAssessment(key, title: "Project \(i)", amount: 300_000)
            try f.move(id, to: "recommended")
            ids.append(id)
        }
        let statuses = Mutex<[Int]>([])
        let officer = f.officer
        let applications = ids
        runConcurrently(ids.count) { i in
            let status = (try? server.request("POST", "/v1/applications/\(applications[i])/award", key: officer, json: #"{"amount_pence": 300000}"#,
                                              headers: [("Idempotency-Key", UUID().uuidString)]).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        let all = statuses.withLock { $0 }
        #expect(all.filter { $0 == 201 }.count == 3 && all.filter { $0 == 409 }.count == 3, "\(all)")
        let round = try server.request("GET", "/v1/rounds/\(f.round)").object
        #expect(round["committed_pence"] as? Int == 900_000 && round["remaining_pence"] as? Int == 100_000)
        let refused = try f.money("POST", "/v1/applications/\(ids[0])/award", json: #"{"amount_pence": 300000}"#)
        #expect([409].contains(refused.status))
        let over = try server.request("GET", "/v1/applications?round=\(f.round)&status=recommended", key: f.officer).array
        let last = try #require(over.first?["id"] as? String)
        let tooMuch = try f.money("POST", "/v1/applications/\(last)/award", json: #"{"amount_pence": 200000}"#)
        #expect(tooMuch.status == 409 && tooMuch.object["type"] as? String == "urn:kith:problem:budget-exceeded")
        #expect(tooMuch.object["remaining_pence"] as? Int == 100_000)
        #expect(try f.money("POST", "/v1/applications/\(last)/award", json: #"{"amount_pence": 100000}"#).status == 201, "what is left still fits")
        #expect(try server.request("POST", "/v1/applications/\(last)/award", key: f.officer, json: #"{"amount_pence": 100000}"#).status == 428)
    }

    @Test func trancheByTranchePaymentsVariationsAndClawbacksKeepTheBalanceDerived() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let id = try f.underAssessment(f.foodBank)
        try f.move(id, to: "recommended")
        let badPlan = try f.money("POST", "/v1/applications/\(id)/award", json: #"""
            {"amount_pence": 300000, "tranches": [{"amount_pence": 200000, "due_on": "2027-01-05"}]}
            """#)
        #expect(badPlan.status == 422 && badPlan.errorFields == ["tranches"])
        let awarded = try f.money("POST", "/v1/applications/\(id)/award", json: #"""
            {"amount_pence": 300000, "conditions": "Report attendance monthly",
             "tranches": [{"amount_pence": 200000, "due_on": "2027-01-05"}, {"amount_pence": 100000, "due_on": "2027-07-01"}]}
            """#)
        #expect(awarded.status == 201)
        let grant = try #require(awarded.object["id"] as? String)
        #expect(awarded.object["remaining_pence"] as? Int == 300_000)

        let first = try f.money("POST", "/v1/grants/\(grant)/payments", json: #"{"amount_pence": 200000, "paid_on": "2027-01-05", "reference": "BACS-0001", "tranche": 1}"#)
        #expect(first.status == 201 && first.object["paid_pence"] as? Int == 200_000 && first.object["remaining_pence"] as? Int == 100_000)
        #expect((first.object["tranches"] as? [[String: Any]])?.first?["paid_pence"] as? Int == 200_000)
        let over = try f.money("POST", "/v1/grants/\(grant)/payments", json: #"{"amount_pence": 150000, "paid_on": "2027-02-01", "reference": "BACS-0002"}"#)
        #expect(over.status == 409 && over.object["type"] as? String == "urn:kith:problem:overpayment")
        #expect(try f.money("POST", "/v1/grants/\(grant)/payments", json: #"{"amount_pence": 1000, "paid_on": "2027-02-01", "reference": "BACS-0001"}"#).status == 409,
                "a reference is recorded once")

        let belowPaid = try f.money("POST", "/v1/grants/\(grant)/variations", json: #"{"amount_pence": 150000, "reason": "Smaller project"}"#)
        #expect(belowPaid.status == 422 && belowPaid.errorFields == ["amount_pence"])
        let varied = try f.money("POST", "/v1/grants/\(grant)/variations", json: #"{"amount_pence": 250000, "reason": "Venue costs fell"}"#)
        #expect(varied.status == 200 && varied.object["amount_pence"] as? Int == 250_000 && varied.object["remaining_pence"] as? Int == 50_000)
        let clawed = try f.money("POST", "/v1/grants/\(grant)/clawbacks", json: #"{"amount_pence": 20000, "reason": "Unspent on equipment"}"#)
        #expect(clawed.status == 201)
        #expect(clawed.object["amount_pence"] as? Int == 230_000 && clawed.object["paid_pence"] as? Int == 180_000)
        #expect(clawed.object["remaining_pence"] as? Int == 50_000, "remaining is always amount minus net paid")
        let changes = (clawed.object["changes"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(changes == ["variation", "clawback"])
        #expect(try server.request("POST", "/v1/grants/\(grant)/close", key: f.officer).status == 409, "money still to pay")
        let paid = try f.money("POST", "/v1/grants/\(grant)/payments", json: #"{"amount_pence": 50000, "paid_on": "2027-07-01", "reference": "BACS-0003", "tranche": 2}"#)
        #expect(paid.object["status"] as? String == "paid" && paid.object["remaining_pence"] as? Int == 0)
        let closed = try server.request("POST", "/v1/grants/\(grant)/close", key: f.officer, json: #"{"reason": "Final report accepted"}"#)
        #expect(closed.status == 200 && closed.object["status"] as? String == "closed")
        #expect(try server.request("GET", "/v1/rounds/\(f.round)").object["committed_pence"] as? Int == 230_000)
        #expect(try server.request("GET", "/v1/grants/\(grant)", key: f.foodBank).status == 200)
        #expect(try server.request("GET", "/v1/grants/\(grant)", key: f.esol).status == 404)
    }

    @Test func monitoringReportsFallDueAndOverdueOnesAreListed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let id = try f.underAssessment(f.foodBank)
        try f.move(id, to: "recommended")
        let grant = try FundingFixture.id(try f.money("POST", "/v1/applications/\(id)/award", json: #"{"amount_pence": 300000}"#))
        let reports = try server.request("GET", "/v1/grants/\(grant)", key: f.foodBank).object["reports"] as? [[String: Any]] ?? []
        #expect(reports.compactMap { $0["kind"] as? String } == ["progress", "final"])
        #expect(reports.compactMap { $0["due_on"] as? String } == ["2027-07-02", "2028-01-30"], "midway through 2027, and 30 days after the end")
        #expect(try server.request("GET", "/v1/grant-reports/overdue", key: f.officer).array.isEmpty)
        server.clock.set(Timestamp(rfc3339: "2027-07-10T09:00:00Z")!)
        let overdue = try server.request("GET", "/v1/grant-reports/overdue", key: f.officer).array
        #expect(overdue.count == 1 && overdue.first?["kind"] as? String == "progress" && overdue.first?["days_overdue"] as? Int == 8)
        let report = try #require(reports.first?["id"] as? String)
        let bad = try server.request("PUT", "/v1/grant-reports/\(report)", key: f.foodBank, json: #"{"people_reached": {"martians": 3}, "volunteers": 4}"#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["people_reached.martians", "outcomes"])
        // Found by fuzzing: any text after `http://` passed as a link, a control character too.
        let badLink = try server.request("PUT", "/v1/grant-reports/\(report)", key: f.foodBank, json: #"""
            {"people_reached": {}, "volunteers": 1, "outcomes": "x", "links": ["https://example.org/ok", "http://\u0015", "https://caf\u00e9.example"]}
            """#)
        #expect(badLink.status == 422 && badLink.errorFields == ["links[1]", "links[2]"])
        let submitted = try server.request("PUT", "/v1/grant-reports/\(report)", key: f.foodBank, json: #"""
            {"people_reached": {"new_arrivals": 64, "families": 20}, "volunteers": 7, "outcomes": "Two new conversation tables.",
             "links": ["https://example.org/photos"]}
            """#)
        #expect(submitted.status == 200 && submitted.object["submitted_at"] as? String == "2027-07-10T09:00:00.000Z")
        #expect(try server.request("PUT", "/v1/grant-reports/\(report)", key: f.esol, json: #"{"people_reached": {}, "volunteers": 1, "outcomes": "x"}"#).status == 404)
        #expect(try server.request("GET", "/v1/grant-reports/overdue", key: f.officer).array.isEmpty)
    }

    @Test func declinedApplicantsGetFeedbackAndOtherFundersAndTheGapsAreListed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let lottery = try FundingFixture.id(server.request("POST", "/v1/other-funders", key: f.officer, json: #"""
            {"name": "The National Lottery Community Fund", "funds": "Community projects, £300 to £20,000 (Awards for All)",
             "where": "England", "url": "https://www.tnlcommunityfund.org.uk"}
            """#))
        #expect(try server.request("GET", "/v1/other-funders?q=lottery").array.count == 1, "public")
        let id = try f.underAssessment(f.esol, title: "Conversation club")
        try f.move(id, to: "declined", reason: "Oversubscribed")
        #expect(try server.request("GET", "/v1/funding/unsupported-declines", key: f.officer).array.compactMap { $0["application_id"] as? String } == [id])
        let bad = try server.request("POST", "/v1/applications/\(id)/support", key: f.officer, json: #"{"feedback": "x", "signposted": ["ofd_nope"]}"#)
        #expect(bad.status == 422 && bad.errorFields == ["signposted[0]"])
        let support = try server.request("POST", "/v1/applications/\(id)/support", key: f.officer, json: #"""
            {"feedback": "Strong idea; show numbers reached.", "signposted": ["\#(lottery)"], "note": "Met at the library on Tuesday"}
            """#)
        #expect(support.status == 201)
        #expect(try server.request("GET", "/v1/funding/unsupported-declines", key: f.officer).array.isEmpty)
        let seen = try server.request("GET", "/v1/applications/\(id)/support", key: f.esol).array
        #expect(seen.first?["feedback"] as? String == "Strong idea; show numbers reached." && seen.first?["note"] is NSNull)
        let live = try f.underAssessment(f.hall, title: "Roof")
        #expect(try server.request("POST", "/v1/applications/\(live)/support", key: f.officer, json: #"{"feedback": "x"}"#).status == 409)
    }
}
