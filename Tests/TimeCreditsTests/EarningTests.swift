import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct EarningTests {
    @Test func anHourEarnsACreditAndAHalfHourIsCarriedToTheNextClaim() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let first = try f.hours(ana, 2.5)
        #expect(first["status"] as? String == "approved" && first["credits"] as? Int == 2, "2.5 hours: 2 credits, half an hour carried")
        #expect(try f.balance(person: ana) == 2)
        let second = try f.hours(ana, 1.5, on: "2026-11-29")
        #expect(second["credits"] as? Int == 2, "the carried half hour and 1.5 hours make 2")
        let third = try f.hours(ana, 0.5, on: "2026-11-28")
        #expect(third["credits"] as? Int == 0 && third["movement_id"] is NSNull, "half an hour waits for the next claim")
        #expect(try f.balance(person: ana) == 4)

        let steps = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-27", "hours": 1.25, "activity": "litter_picking"}
            """#)
        #expect(steps.status == 422 && steps.errorFields == ["hours"])
        let future = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.pickers)", "on_date": "2026-12-02", "hours": 1, "activity": "litter_picking"}
            """#)
        #expect(future.status == 422 && future.errorFields == ["on_date"])
    }

    @Test func aDayCannotGoPastTheDailyMaximum() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        try f.hours(ana, 6)
        let over = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 2.5, "activity": "events"}
            """#)
        #expect(over.status == 422 && over.errorFields == ["hours"])
        #expect(over.text.contains("daily maximum of 8 hours"))
        try f.hours(ana, 2)
        #expect(try f.balance(person: ana) == 8)
        // The admin can change the rule.
        let changed = try server.request("PATCH", "/v1/credit-settings", key: server.adminKey, json: #"{"max_hours_per_day": 10}"#)
        #expect(changed.status == 200 && changed.object["max_hours_per_day"] as? Int == 10)
        try f.hours(ana, 2)
    }

    @Test func volunteersReportTheirOwnHoursAndTheOrganisationDecides() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let ben = try f.volunteer("Ben Okoro")
        let anaKey = try server.makeKey(.volunteer, scope: Scope("person:\(ana)"))
        let reported = try f.write("POST", "/v1/volunteering", key: anaKey, json: #"""
            {"organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 3, "activity": "litter_picking"}
            """#)
        #expect(reported.status == 201 && reported.object["status"] as? String == "reported")
        #expect(try f.balance(person: ana) == 0, "nothing is issued until the organisation approves")
        let id = try #require(reported.object["id"] as? String)
        // Only the organisation (or an officer) decides; not the volunteer, not the theatre.
        #expect(try f.write("POST", "/v1/volunteering/\(id)/approve", key: f.theatreKey).status == 404)
        #expect(try f.write("POST", "/v1/volunteering/\(id)/approve", key: anaKey).status == 403)
        let approved = try f.write("POST", "/v1/volunteering/\(id)/approve", key: f.pickersKey)
        #expect(approved.status == 200 && approved.object["credits"] as? Int == 3)
        let pickersKeyId = try #require(try server.request("GET", "/v1/me", key: f.pickersKey).object["id"] as? String)
        #expect(approved.object["decided_by"] as? String == pickersKeyId, "the record keeps who approved it")
        #expect(try f.write("POST", "/v1/volunteering/\(id)/approve", key: f.pickersKey).status == 409, "approved once")
        #expect(try f.balance(person: ana) == 3)

        // A volunteer reports only for themselves.
        let forBen = try f.write("POST", "/v1/volunteering", key: anaKey, json: #"""
            {"person_id": "\#(ben)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 3, "activity": "litter_picking"}
            """#)
        #expect(forBen.status == 422 && forBen.errorFields == ["person_id"])
        let benKey = try server.makeKey(.volunteer, scope: Scope("person:\(ben)"))
        let claim = try #require(try f.write("POST", "/v1/volunteering", key: benKey, json: #"""
            {"organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 8, "activity": "admin_support"}
            """#).object["id"] as? String)
        let noReason = try server.request("POST", "/v1/volunteering/\(claim)/decline", key: f.pickersKey, json: "{}")
        #expect(noReason.status == 422 && noReason.errorFields == ["reason"])
        let declined = try server.request("POST", "/v1/volunteering/\(claim)/decline", key: f.pickersKey, json: #"{"reason": "We had no session that day"}"#)
        #expect(declined.status == 200 && declined.object["status"] as? String == "declined")
        #expect(try server.request("GET", "/v1/volunteering/\(claim)", key: benKey).object["decline_reason"] as? String == "We had no session that day")
        #expect(try server.request("GET", "/v1/volunteering/\(claim)", key: anaKey).status == 404)
        #expect(try server.request("GET", "/v1/volunteering?status=reported", key: f.pickersKey).array.isEmpty)
        #expect(try server.request("GET", "/v1/volunteering", key: anaKey).array.count == 1)
        #expect(try f.balance(person: ben) == 0)
    }

    @Test func onlyApprovedOrganisationsIssueAndOnlyToVolunteers() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let venueIssuing = try f.write("POST", "/v1/volunteering", key: f.theatreKey, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.theatre)", "on_date": "2026-11-30", "hours": 2, "activity": "events"}
            """#)
        #expect(venueIssuing.status == 422 && venueIssuing.errorFields == ["organisation_id"])
        let otherGroup = try server.makeKey(.group, scope: Scope("group:\(f.groups["Leyton Food Bank"])"))
        #expect(try f.write("POST", "/v1/volunteering", key: otherGroup, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 2, "activity": "events"}
            """#).status == 403)
        let notVolunteer = try f.id(server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "Cleo Park", "roles": ["referrer"], "consents": [{"purpose": "store_details", "given": true, "method": "online"}]}
            """#))
        let refused = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(notVolunteer)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 2, "activity": "events"}
            """#)
        #expect(refused.status == 422 && refused.errorFields == ["person_id"])
        let noKey = try server.request("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(ana)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 2, "activity": "events"}
            """#)
        #expect(noKey.status == 428, "a ledger write without an Idempotency-Key")
        #expect(try f.ledgerInvariants() == (0, 0, 0))
    }

    @Test func loggedContactsEarnCreditsOncePerContactWhenTheSchemeSaysSo() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let buddy = try f.volunteer("Layla Haddad")
        for check in [#"{"kind": "dbs", "detail": "basic", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "reference", "detail": "employer", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "reference", "detail": "friend", "status": "clear", "issued_on": "2026-01-05"}"#,
                      #"{"kind": "training", "detail": "safeguarding", "status": "clear", "issued_on": "2026-01-05"}"#] {
            #expect(try server.request("POST", "/v1/people/\(buddy)/checks", key: server.adminKey, json: check).status == 201)
        }
        #expect(try server.request("PUT", "/v1/people/\(buddy)/offers/fan", key: server.adminKey, json: #"{"capacity": 1}"#).status == 201)
        let referral = try f.id(server.request("POST", "/v1/referrals", key: server.adminKey, json: #"""
            {"scheme": "fan", "source": "self", "person": {"full_name": "Amal Nasser", "area_id": "ortons",
             "consents": [{"purpose": "store_details", "given": true, "method": "verbal"}]}}
            """#))
        let match = try f.id(server.request("POST", "/v1/matches", key: server.adminKey, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(buddy)"}"#))
        #expect(try server.request("POST", "/v1/matches/\(match)/introduce", key: server.adminKey).status == 200)
        #expect(try server.request("POST", "/v1/matches/\(match)/activate", key: server.adminKey).status == 200)
        let contact = #"{"happened_at": "2026-11-30T10:00:00Z", "minutes": 90, "kind": "informal_learning"}"#
        #expect(try server.request("POST", "/v1/matches/\(match)/contacts", key: server.adminKey, json: contact).status == 201)
        #expect(try f.balance(person: buddy) == 0, "off until the scheme turns it on")

        #expect(try server.request("PATCH", "/v1/credit-settings", key: server.adminKey, json: #"{"contact_credits": ["fan"]}"#).status == 200)
        let buddyKey = try server.makeKey(.volunteer, scope: Scope("person:\(buddy)"))
        let retryKey = UUID().uuidString
        let logged = try f.write("POST", "/v1/matches/\(match)/contacts", key: buddyKey, json: contact, idempotencyKey: retryKey)
        let retried = try f.write("POST", "/v1/matches/\(match)/contacts", key: buddyKey, json: contact, idempotencyKey: retryKey)
        #expect(logged.status == 201 && retried.status == 201 && retried.object["id"] as? String == logged.object["id"] as? String)
        #expect(try f.balance(person: buddy) == 1, "90 minutes: one credit and a half hour carried, once")
        try f.write("POST", "/v1/matches/\(match)/contacts", key: buddyKey, json: #"{"happened_at": "2026-11-30T15:00:00Z", "minutes": 30, "kind": "social"}"#)
        #expect(try f.balance(person: buddy) == 2, "the carried half hour and 30 minutes")
        // Contact hours count towards the day's maximum with volunteering.
        let tooMuch = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
            {"person_id": "\#(buddy)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-30", "hours": 7, "activity": "litter_picking"}
            """#)
        #expect(tooMuch.status == 422 && tooMuch.text.contains("(2.0 already recorded)"))
        let statement = try server.request("GET", "/v1/credit-accounts/\(try f.accountId(person: buddy))/statement", key: buddyKey)
        #expect((statement.object["entries"] as? [[String: Any]])?.compactMap { ($0["source"] as? [String: Any])?["type"] as? String } == ["contact", "contact"])
    }
}
