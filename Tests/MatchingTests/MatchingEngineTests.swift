import Foundation
import KithCore
import KithTestSupport
import People
import Testing

@Suite struct MatchingEngineTests {
    /// One new arrival in Leyton who speaks Arabic, wants a woman buddy (required) on Saturday
    /// mornings, and five volunteers who each fit or break a rule.
    @Test func suggestionsAreRankedWithReasonsAndHardRulesAreNeverBroken() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let best = try f.volunteer("Layla Haddad", area: "leyton", languages: ["en", "ar"], interests: ["cooking", "football"],
                                   availability: ["sat_am", "sun_am"])
        let boroughOnly = try f.volunteer("Grace Okafor", area: "walthamstow", languages: ["en"], interests: ["cooking"], availability: ["sat_am"])
        let peterborough = try f.volunteer("Ruth Green", area: "hamptons", languages: ["en"])
        let man = try f.volunteer("Omar Aziz", area: "leyton", languages: ["ar"], gender: "male", availability: ["sat_am"])
        let untrained = try f.volunteer("Hana Ali", area: "leyton", languages: ["ar"], skip: "safeguarding")
        let full = try f.volunteer("Mona Said", area: "leyton", languages: ["ar"], capacity: 1)
        let (earlier, _) = try f.referNewArrival("Yusuf Karim")
        _ = try f.activeMatch(referral: earlier, volunteer: full)

        let (referral, _) = try f.referNewArrival("Amal Nasser", preferences: #"""
            {"languages": ["ar"], "interests": ["cooking", "football"], "availability": ["sat_am"], "modes": ["meet_up"],
             "gender": "female", "required": ["gender"]}
            """#)
        let response = try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.officer)
        #expect(response.status == 200)
        let ranked = response.array.compactMap { $0["volunteer_id"] as? String }
        #expect(ranked == [best, boroughOnly, peterborough], "area, language, interests, times; then borough; then nothing in common")
        let scores = response.array.compactMap { $0["score"] as? Int }
        #expect(scores == [30 + 25 + 10 + 4 + 10, 10 + 5 + 4 + 10, 10])
        let reasons = try #require(response.array.first?["reasons"] as? [String])
        #expect(reasons == ["same area (Leyton) +30", "shared language (ar) +25", "shared interests (cooking, football) +10",
                            "available at the same times (1) +4", "can meet as preferred (meet_up) +10"])
        #expect(((response.array.first?["volunteer"] as? [String: Any])?["name"]) as? String == "Layla")
        #expect((response.array.first?["volunteer"] as? [String: Any])?["phone"] == nil, "suggestions show volunteers as a match would")

        let excluded = Dictionary(uniqueKeysWithValues: (response.object["excluded"] as? [[String: Any]] ?? []).map {
            ($0["volunteer_id"] as? String ?? "", ($0["reasons"] as? [String] ?? []).joined(separator: "; "))
        })
        #expect(excluded[man] == "not the required gender")
        #expect(excluded[untrained] == "checks not clear and current: training: safeguarding")
        #expect(excluded[full] == "no room: 1 of 1 matches")

        // The rules hold when a match is proposed, whatever the caller asks for.
        for volunteer in [man, untrained, full] {
            let refused = try server.request("POST", "/v1/matches", key: f.officer, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(volunteer)"}"#)
            #expect(refused.status == 422 && refused.errorFields == ["volunteer_id"])
        }
        let matched = try server.request("POST", "/v1/matches", key: f.officer, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(best)"}"#)
        #expect(matched.status == 201)
        #expect(matched.object["status"] as? String == "proposed" && matched.object["score"] as? Int == 79)
        let again = try server.request("POST", "/v1/matches", key: f.officer, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(boroughOnly)"}"#)
        #expect(again.status == 409, "the referral is matched")
        #expect(try server.request("GET", "/v1/referrals?scheme=fan", key: f.officer).ids.isEmpty, "nobody waiting now")
    }

    @Test func aRequiredAreaOrLanguageIsAHardRuleToo() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let nearby = try f.volunteer("Grace Okafor", area: "walthamstow", languages: ["ar"])
        let local = try f.volunteer("Jo Brown", area: "leyton", languages: ["en"])
        let (referral, _) = try f.referNewArrival("Amal Nasser", preferences: #"{"area_id": "leyton", "languages": ["ar"], "required": ["area", "language"]}"#)
        let response = try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.officer)
        #expect(response.array.isEmpty)
        let excluded = (response.object["excluded"] as? [[String: Any]] ?? [])
        #expect(excluded.first { $0["volunteer_id"] as? String == nearby }?["reasons"] as? [String] == ["not in the required area"])
        #expect(excluded.first { $0["volunteer_id"] as? String == local }?["reasons"] as? [String] == ["no required language in common"])
    }

    @Test func anExpiredCheckSuspendsNewMatchesAndIsListedForCoordinators() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        // A DBS issued on 2023-12-05 runs out on 2026-12-05, four days after the fixture's start.
        let volunteer = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"], dbsIssued: "2023-12-05")
        let (referral, _) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)

        let soon = try server.request("GET", "/v1/checks/expiring?within_days=30", key: f.coordinatorA)
        #expect(soon.array.count == 1)
        #expect(soon.array.first?["person_id"] as? String == volunteer && soon.array.first?["expires_on"] as? String == "2026-12-05")
        #expect(soon.array.first?["expired"] as? Bool == false)
        #expect(try server.request("GET", "/v1/checks/expiring?within_days=30", key: f.coordinatorB).array.isEmpty, "another caseload")
        #expect(try server.request("GET", "/v1/schemes/befriending/report", key: f.coordinatorA).object["volunteers_with_checks_expiring"] as? Int == 1)
        #expect(try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.coordinatorA).array.count == 1)

        f.advance(days: 5)
        let expired = try server.request("GET", "/v1/checks/expiring?within_days=0", key: f.coordinatorA)
        #expect(expired.array.first?["expired"] as? Bool == true)
        let suggestions = try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.coordinatorA)
        #expect(suggestions.array.isEmpty)
        #expect((suggestions.object["excluded"] as? [[String: Any]])?.first?["reasons"] as? [String] == ["checks not clear and current: dbs: enhanced"])
        let refused = try server.request("POST", "/v1/matches", key: f.coordinatorA, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(volunteer)"}"#)
        #expect(refused.status == 422)
        #expect(refused.text.contains("dbs: enhanced"))

        // The renewed certificate clears the way again and drops off the list.
        let checks = try server.request("GET", "/v1/people/\(volunteer)/checks", key: f.coordinatorA)
        let dbs = try #require(checks.array.first { $0["kind"] as? String == "dbs" }?["id"] as? String)
        #expect(checks.array.first { $0["kind"] as? String == "dbs" }?["valid"] as? Bool == false)
        let renewed = try server.request("PATCH", "/v1/people/\(volunteer)/checks/\(dbs)", key: f.coordinatorA,
                                         json: #"{"issued_on": "2026-12-06", "certificate": "009876543210"}"#, headers: [("If-Match", "\"1\"")])
        #expect(renewed.status == 200 && renewed.object["expires_on"] as? String == "2029-12-06" && renewed.object["valid"] as? Bool == true)
        #expect(try server.request("GET", "/v1/checks/expiring?within_days=30", key: f.coordinatorA).array.isEmpty)
        #expect(try server.request("POST", "/v1/matches", key: f.coordinatorA,
                                   json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(volunteer)"}"#).status == 201)
    }

    /// Found by fuzzing: a check issued in a year before 1000 ran out in `566-07-23`, and one issued
    /// in 9998 in a five-digit year; an expiry is always a `YYYY-MM-DD` date.
    @Test func expiryDatesKeepFourDigitYears() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let volunteer = try f.volunteer("Priya Shah")
        for (kind, issued, expires) in [("training", "0564-07-23", "0566-07-23"), ("dbs", "0996-02-29", "0999-02-28"),
                                        ("dbs", "9998-01-01", "9999-12-31")] {
            let created = try server.request("POST", "/v1/people/\(volunteer)/checks", key: server.adminKey,
                                             json: #"{"kind": "\#(kind)", "detail": "enhanced", "status": "clear", "issued_on": "\#(issued)"}"#)
            #expect(created.status == 201, "\(issued): \(created.text)")
            #expect(created.object["expires_on"] as? String == expires, "\(issued)")
        }
        #expect(Check.expiry(kind: "training", detail: "food_hygiene", issuedOn: "0001-01-01") == "0003-01-01")
    }

    @Test func coordinatorsMatchOnlyWithinTheirOwnCaseload() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let theirs = try f.volunteer("Bea Long", area: "chingford", scheme: "befriending", provider: f.providerB, modes: ["visit"])
        let ours = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"])
        let (referral, _) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let suggestions = try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.coordinatorA)
        #expect(suggestions.array.compactMap { $0["volunteer_id"] as? String } == [ours])
        #expect(try server.request("POST", "/v1/matches", key: f.coordinatorA,
                                   json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(theirs)"}"#).status == 422)
        #expect(try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.coordinatorB).status == 404)
        let foreign = try server.request("POST", "/v1/matches", key: f.coordinatorB,
                                         json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(theirs)"}"#)
        #expect(foreign.status == 422 && foreign.errorFields == ["referral_id"])
        // A befriending referral names its provider unless a coordinator makes it.
        let missing = try server.request("POST", "/v1/referrals", key: f.officer, json: #"""
            {"scheme": "befriending", "source": "self", "person": {"full_name": "Arthur Jones", "consents": \#(SchemesFixture.consent)}}
            """#)
        #expect(missing.status == 422 && missing.errorFields == ["provider_id"])
    }

    @Test func aNewArrivalHasOneBuddyAndIsRematchedAfterAnEnding() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let first = try f.volunteer("Layla Haddad", languages: ["ar"])
        let second = try f.volunteer("Grace Okafor", area: "walthamstow")
        let (referral, person) = try f.referNewArrival("Amal Nasser")
        let match = try f.activeMatch(referral: referral, volunteer: first)
        let duplicate = try server.request("POST", "/v1/referrals", key: f.officer, json: #"{"scheme": "fan", "source": "self", "person_id": "\#(person)"}"#)
        #expect(duplicate.status == 409, "one open FAN referral per person")

        f.advance(days: 30)
        let ended = try server.request("POST", "/v1/matches/\(match)/end", key: f.officer, json: #"{"reason": "not_compatible", "rematch": true}"#)
        #expect(ended.status == 200 && ended.object["status"] as? String == "ended" && ended.object["end_reason"] as? String == "not_compatible")
        #expect(try server.request("POST", "/v1/matches/\(match)/activate", key: f.officer).status == 409, "an ended match stays ended")
        let waiting = try server.request("GET", "/v1/referrals?scheme=fan", key: f.officer)
        #expect(waiting.ids == [referral])
        #expect(waiting.array.first?["waiting_since"] as? String == "2026-12-31T09:00:00.000Z", "waiting again from the ending")
        let suggestions = try server.request("GET", "/v1/referrals/\(referral)/suggestions", key: f.officer)
        #expect(suggestions.array.compactMap { $0["volunteer_id"] as? String } == [second])
        #expect((suggestions.object["excluded"] as? [[String: Any]])?.first?["reasons"] as? [String] == ["already tried with this person"])
        #expect(try server.request("POST", "/v1/matches", key: f.officer,
                                   json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(second)"}"#).status == 201)
        let endBad = try server.request("POST", "/v1/matches/\(match)/end", key: f.officer, json: #"{"reason": "bored"}"#)
        #expect(endBad.status == 422 && endBad.errorFields == ["reason"])
        // An ending without a rematch closes the referral.
        let current = try #require(try server.request("GET", "/v1/matches?status=proposed", key: f.officer).ids.first)
        try f.ok("POST", "/v1/matches/\(current)/end", key: f.officer, json: #"{"reason": "moved_away"}"#)
        let closed = try server.request("GET", "/v1/referrals/\(referral)", key: f.officer).object
        #expect(closed["status"] as? String == "closed" && closed["close_reason"] as? String == "match ended: moved_away")
    }
}
