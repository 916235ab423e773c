import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct SafeguardingTests {
    @Test func aConcernPausesTheMatchAtOnceAndOnlyStaffReadIt() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (referral, _) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let volunteer = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"])
        let match = try f.activeMatch(referral: referral, volunteer: volunteer, key: f.coordinatorA)
        let volunteerKey = try f.volunteerKey(volunteer)

        let raised = try server.request("POST", "/v1/matches/\(match)/concerns", key: volunteerKey,
                                        json: #"{"category": "financial", "description": "A man asked Edith for her bank card.", "pause": true}"#)
        #expect(raised.status == 201)
        #expect(raised.object["match_paused"] as? Bool == true && raised.object["status"] as? String == "open")
        let concern = try #require(raised.object["id"] as? String)
        #expect(try server.request("GET", "/v1/matches/\(match)", key: f.coordinatorA).object["status"] as? String == "paused")
        // No more contacts while paused.
        #expect(try server.request("POST", "/v1/matches/\(match)/contacts", key: volunteerKey,
                                   json: #"{"happened_at": "2026-12-01T08:00:00Z", "minutes": 30, "kind": "call"}"#).status == 409)

        // Coordinators and officers read it; the volunteer who raised it, another provider and partners do not.
        let list = try server.request("GET", "/v1/concerns?status=open", key: f.coordinatorA)
        #expect(list.ids == [concern])
        #expect(list.array.first?["description"] as? String == "A man asked Edith for her bank card.")
        #expect(try server.request("GET", "/v1/concerns", key: f.officer).ids == [concern])
        #expect(try server.request("GET", "/v1/concerns", key: f.coordinatorB).ids.isEmpty)
        #expect(try server.request("GET", "/v1/concerns", key: volunteerKey).status == 403)
        #expect(try server.request("GET", "/v1/concerns", key: try server.makeKey(.partner)).status == 403)
        #expect(try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorB, json: #"{"status": "investigating"}"#).status == 404)
        #expect(!(try server.request("GET", "/v1/matches/\(match)", key: volunteerKey).text.contains("bank card")))

        // The match stays paused until the concern is closed with an outcome.
        #expect(try server.request("POST", "/v1/matches/\(match)/resume", key: f.coordinatorA).status == 409)
        let noOutcome = try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{"status": "closed"}"#)
        #expect(noOutcome.status == 422 && noOutcome.errorFields == ["outcome"])
        let investigating = try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{"status": "investigating"}"#)
        #expect(investigating.status == 200 && investigating.header("ETag") == "\"2\"")
        let stale = try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA,
                                       json: #"{"status": "closed", "outcome": "x"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        try f.ok("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{"outcome": "Referred to adult social care; the volunteer acted rightly."}"#)
        let unchanged = try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{}"#)
        #expect(unchanged.status == 200 && unchanged.header("ETag") == "\"3\"", "nothing changed, nothing written")
        let closed = try server.request("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{"status": "closed"}"#)
        #expect(closed.status == 200 && closed.object["status"] as? String == "closed")
        let resumed = try server.request("POST", "/v1/matches/\(match)/resume", key: f.coordinatorA)
        #expect(resumed.status == 200 && resumed.object["status"] as? String == "active")
        let audit = try server.request("GET", "/v1/audit?resource_type=concern&resource_id=\(concern)", key: server.adminKey)
        #expect(audit.array.count == 4, "raised, investigating, outcome, closed: \(audit.text)")
    }

    @Test func aConcernWithoutPauseLeavesTheMatchRunning() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let volunteer = try f.volunteer("Layla Haddad", languages: ["ar"])
        let (referral, _) = try f.referNewArrival("Amal Nasser")
        let match = try f.activeMatch(referral: referral, volunteer: volunteer)
        let raised = try server.request("POST", "/v1/matches/\(match)/concerns", key: f.officer,
                                        json: #"{"category": "wellbeing", "description": "Seems isolated at the hostel."}"#)
        #expect(raised.status == 201 && raised.object["match_paused"] as? Bool == false)
        #expect(try server.request("GET", "/v1/matches/\(match)", key: f.officer).object["status"] as? String == "active")
        let bad = try server.request("POST", "/v1/matches/\(match)/concerns", key: f.officer, json: #"{"category": "gossip"}"#)
        #expect(bad.status == 422 && Set(bad.errorFields) == ["category", "description"])
    }
}

@Suite struct ContactAndReviewTests {
    @Test func activeMatchesWithoutContactForTooLongAreListed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let volunteer = try f.volunteer("Layla Haddad", languages: ["ar"], capacity: 2)
        let (quiet, _) = try f.referNewArrival("Amal Nasser")
        let (busy, _) = try f.referNewArrival("Yusuf Karim")
        let quietMatch = try f.activeMatch(referral: quiet, volunteer: volunteer)
        let busyMatch = try f.activeMatch(referral: busy, volunteer: volunteer)
        let volunteerKey = try f.volunteerKey(volunteer)

        f.advance(days: 10)
        try f.ok("POST", "/v1/matches/\(busyMatch)/contacts", key: volunteerKey,
                 json: #"{"happened_at": "2026-12-11T08:00:00Z", "minutes": 90, "kind": "shared_meal", "topics": ["housing", "work"]}"#)
        // FAN allows 21 days without contact.
        f.advance(days: 11)
        #expect(try server.request("GET", "/v1/matches/missed-contact", key: f.officer).array.isEmpty, "21 days is still within")
        f.advance(days: 1)
        let missed = try server.request("GET", "/v1/matches/missed-contact?scheme=fan", key: f.officer)
        #expect(missed.array.compactMap { $0["match_id"] as? String } == [quietMatch])
        #expect(missed.array.first?["days_since"] as? Int == 22 && missed.array.first?["allowed_days"] as? Int == 21)
        #expect(missed.array.first?["last_contact"] as? String == "2026-12-01T09:00:00.000Z", "no contact yet: counted from activation")

        f.advance(days: 11)
        let both = try server.request("GET", "/v1/matches/missed-contact", key: f.officer)
        #expect(both.array.compactMap { $0["match_id"] as? String } == [quietMatch, busyMatch], "longest silence first")
        try f.ok("POST", "/v1/matches/\(quietMatch)/contacts", key: volunteerKey,
                 json: #"{"happened_at": "2027-01-02T08:00:00Z", "minutes": 60, "kind": "informal_learning"}"#)
        #expect(try server.request("GET", "/v1/matches/missed-contact", key: f.officer).array.compactMap { $0["match_id"] as? String } == [busyMatch])
        #expect(try server.request("GET", "/v1/matches/missed-contact", key: f.coordinatorB).array.isEmpty, "not a FAN coordinator's")
        #expect(try server.request("GET", "/v1/matches/missed-contact", key: volunteerKey).status == 403)

        let future = try server.request("POST", "/v1/matches/\(quietMatch)/contacts", key: volunteerKey,
                                        json: #"{"happened_at": "2030-01-01T00:00:00Z", "minutes": 60, "kind": "visit"}"#)
        #expect(future.status == 422 && future.errorFields == ["happened_at"])
        let tooLong = try server.request("POST", "/v1/matches/\(quietMatch)/contacts", key: volunteerKey,
                                         json: #"{"happened_at": "2027-01-02T08:00:00Z", "minutes": 5000, "kind": "telepathy", "topics": ["gossip"]}"#)
        #expect(tooLong.status == 422 && Set(tooLong.errorFields) == ["minutes", "kind", "topics[0]"])
    }

    @Test func reviewsFallDueAtTheSchemeIntervalAndAReviewScoreMovesThemOn() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let volunteer = try f.volunteer("Layla Haddad", languages: ["ar"])
        let (referral, person) = try f.referNewArrival("Amal Nasser")
        let match = try f.activeMatch(referral: referral, volunteer: volunteer)
        #expect(try server.request("GET", "/v1/matches/\(match)", key: f.officer).object["next_review"] as? String == "2027-03-01")
        f.advance(days: 89)
        #expect(try server.request("GET", "/v1/matches/reviews-due", key: f.officer).array.isEmpty)
        f.advance(days: 1)
        #expect(try server.request("GET", "/v1/matches/reviews-due", key: f.officer).ids == [match])
        let review = try server.request("POST", "/v1/people/\(person)/outcomes", key: f.officer,
                                        json: #"{"scheme": "fan", "measure": "english_confidence", "stage": "review", "score": 3, "match_id": "\#(match)"}"#)
        #expect(review.status == 201)
        #expect(try server.request("GET", "/v1/matches/reviews-due", key: f.officer).array.isEmpty)
        let outOfRange = try server.request("POST", "/v1/people/\(person)/outcomes", key: f.officer,
                                            json: #"{"scheme": "fan", "measure": "ucla3", "stage": "review", "score": 12}"#)
        #expect(outOfRange.status == 422 && outOfRange.errorFields == ["score"])
    }
}

@Suite struct SchemeSpecificsTests {
    @Test func aWelcomePackIsBuiltFromTheDirectoryForTheNewArrivalsArea() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (_, person) = try f.referNewArrival("Amal Nasser")
        let pack = try server.request("POST", "/v1/people/\(person)/welcome-pack", key: f.officer, json: #"{"sent": true}"#)
        #expect(pack.status == 201)
        let items = pack.object["items"] as? [[String: Any]] ?? []
        #expect(items.compactMap { $0["name"] as? String } == ["Leyton Food Bank", "Leytonstone ESOL Conversation Club"])
        #expect(items.last?["why"] as? [String] == ["English classes or practice", "welcomes new arrivals"])
        #expect(pack.object["sent_on"] as? String == "2026-12-01")
        let chingford = try server.request("POST", "/v1/people/\(person)/welcome-pack", key: f.officer, json: #"{"area_id": "chingford"}"#)
        #expect(chingford.status == 201 && (chingford.object["items"] as? [Any])?.isEmpty == true && chingford.object["sent_on"] is NSNull)
        let (_, older) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        #expect(try server.request("POST", "/v1/people/\(older)/welcome-pack", key: f.officer).status == 409)
    }

    @Test func groupSessionsCountCrossAgeContactAndComplexNeedsAreReferredOn() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let session = try server.request("POST", "/v1/group-sessions", key: f.coordinatorA, json: #"""
            {"provider_id": "\#(f.providerA)", "title": "December evening party", "held_at": "2026-12-01T18:00:00Z", "place": "Oak House care home",
             "attendance": {"volunteers": {"25_34": 6, "18_24": 2}, "older_people": {"85_plus": 9, "75_84": 5}}}
            """#)
        #expect(session.status == 201)
        #expect(session.object["volunteers"] as? Int == 8 && session.object["older_people"] as? Int == 14 && session.object["cross_age"] as? Bool == true)
        #expect(try server.request("POST", "/v1/group-sessions", key: f.coordinatorB, json: #"""
            {"provider_id": "\#(f.providerA)", "title": "x", "held_at": "2026-12-01T18:00:00Z", "attendance": {}}
            """#).status == 403)
        #expect(try server.request("GET", "/v1/group-sessions", key: f.coordinatorA).array.count == 1)
        #expect(try server.request("GET", "/v1/group-sessions", key: f.coordinatorB).array.isEmpty)
        #expect(try server.request("GET", "/v1/group-sessions", key: f.officer).array.count == 1)
        #expect(try server.request("GET", "/v1/group-sessions", key: f.chingfordOfficer).array.isEmpty, "a Leyton provider's session")
        #expect(try server.request("POST", "/v1/group-sessions", key: f.chingfordOfficer, json: #"""
            {"provider_id": "\#(f.providerA)", "title": "x", "held_at": "2026-12-01T18:00:00Z", "attendance": {}}
            """#).status == 403)
        let badBand = try server.request("POST", "/v1/group-sessions", key: f.coordinatorA, json: #"""
            {"provider_id": "\#(f.providerA)", "title": "x", "held_at": "2026-12-01T18:00:00Z", "attendance": {"volunteers": {"ages_20s": 3}}}
            """#)
        #expect(badBand.status == 422 && badBand.errorFields == ["attendance.volunteers.ages_20s"])

        let (_, older) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let onward = try server.request("POST", "/v1/people/\(older)/onward-referrals", key: f.coordinatorA,
                                        json: #"{"agency": "Age UK Waltham Forest", "reason": "Help with attendance allowance claim"}"#)
        #expect(onward.status == 201 && onward.object["referred_on"] as? String == "2026-12-01")
        #expect(try server.request("GET", "/v1/people/\(older)/onward-referrals", key: f.coordinatorA).array.count == 1)
        #expect(try server.request("GET", "/v1/people/\(older)/onward-referrals", key: f.coordinatorB).status == 404)
    }
}
