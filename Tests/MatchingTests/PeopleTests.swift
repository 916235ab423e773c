import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct PersonalDataVisibilityTests {
    @Test func aBefriendeesAddressAndPhoneReachOnlyThoseWhoRunTheirCase() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (_, person) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)

        let own = try server.request("GET", "/v1/people/\(person)", key: f.coordinatorA)
        #expect(own.status == 200)
        #expect(own.object["address"] as? String == "12 Church Lane, London")
        #expect(own.object["phone"] as? String == "020 8500 1234")
        #expect(own.object["provider_id"] as? String == f.providerA, "a coordinator's referral joins its caseload")
        #expect(own.object["roles"] as? [String] == ["befriendee"])
        #expect(own.object["age_band"] as? String == "85_plus", "age band follows the date of birth")
        #expect(own.header("ETag") == "\"1\"")

        #expect(try server.request("GET", "/v1/people/\(person)", key: server.adminKey).object["address"] as? String == "12 Church Lane, London")
        #expect(try server.request("GET", "/v1/people/\(person)", key: f.officer).status == 200)
        // Another provider's coordinator, an officer for another area: not found, not even "forbidden".
        #expect(try server.request("GET", "/v1/people/\(person)", key: f.coordinatorB).status == 404)
        #expect(try server.request("GET", "/v1/people/\(person)", key: f.chingfordOfficer).status == 404)
        // Partners, viewers, groups and the public never read a person.
        for role in [Role.partner, .viewer, .group, .facilitator] {
            let response = try server.request("GET", "/v1/people/\(person)", key: try server.makeKey(role))
            #expect(response.status == 403, "\(role)")
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(!response.text.contains("Church Lane"))
        }
        #expect(try server.request("GET", "/v1/people/\(person)").status == 401)

        // Lists follow the same rules.
        #expect(try server.request("GET", "/v1/people?role=befriendee", key: f.coordinatorA).ids == [person])
        #expect(try server.request("GET", "/v1/people?role=befriendee", key: f.coordinatorB).ids.isEmpty)
        #expect(try server.request("GET", "/v1/people?role=befriendee", key: f.chingfordOfficer).ids.isEmpty)
        #expect(try server.request("GET", "/v1/people", key: try server.makeKey(.partner)).status == 403)
    }

    @Test func aVolunteerSeesTheirMatchByFirstNameOnlyAndNoCaseNotes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (referral, person) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let volunteer = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"])
        let match = try f.activeMatch(referral: referral, volunteer: volunteer, key: f.coordinatorA)
        let volunteerKey = try f.volunteerKey(volunteer)

        let seen = try server.request("GET", "/v1/matches/\(match)", key: volunteerKey)
        #expect(seen.status == 200)
        let other = try #require(seen.object["person"] as? [String: Any])
        #expect(other["name"] as? String == "Edith")
        #expect(other["address"] == nil && other["phone"] == nil && other["full_name"] == nil && other["date_of_birth"] == nil)
        #expect(!seen.text.contains("Church Lane") && !seen.text.contains("8500"))
        #expect(try server.request("GET", "/v1/matches", key: volunteerKey).ids == [match])
        // The staff view of the same match has the full record.
        let staff = try server.request("GET", "/v1/matches/\(match)", key: f.coordinatorA)
        #expect((staff.object["person"] as? [String: Any])?["address"] as? String == "12 Church Lane, London")

        // The volunteer logs a visit with a note; only staff read the note.
        let logged = try server.request("POST", "/v1/matches/\(match)/contacts", key: volunteerKey,
                                        json: #"{"happened_at": "2026-12-01T08:00:00Z", "minutes": 60, "kind": "visit", "note": "Edith seemed low; mentioned a fall."}"#)
        #expect(logged.status == 201)
        let volunteerView = try server.request("GET", "/v1/matches/\(match)/contacts", key: volunteerKey)
        #expect(volunteerView.array.count == 1)
        #expect(volunteerView.array.first?["note"] is NSNull)
        #expect(!volunteerView.text.contains("fall"))
        let staffView = try server.request("GET", "/v1/matches/\(match)/contacts", key: f.coordinatorA)
        #expect(staffView.array.first?["note"] as? String == "Edith seemed low; mentioned a fall.")

        // A volunteer reads their own record and checks, without the DBS certificate number; not
        // the befriendee's, not another volunteer's.
        try f.ok("PATCH", "/v1/people/\(volunteer)", key: f.coordinatorA, json: #"{"notes": "Ask about her exam before matching again"}"#)
        let me = try server.request("GET", "/v1/people/\(volunteer)", key: volunteerKey)
        #expect(me.status == 200 && me.object["full_name"] as? String == "Priya Shah")
        #expect(me.object["notes"] is NSNull, "staff notes stay with staff")
        let checks = try server.request("GET", "/v1/people/\(volunteer)/checks", key: volunteerKey)
        #expect(checks.array.count == 5 && checks.array.allSatisfy { $0["certificate"] is NSNull })
        #expect(try server.request("GET", "/v1/people/\(volunteer)/checks", key: f.coordinatorA).array.contains { $0["certificate"] as? String == "001234567890" })
        #expect(try server.request("GET", "/v1/people/\(person)", key: volunteerKey).status == 404)
        // Volunteers do not move matches on, list concerns or read the waiting list.
        #expect(try server.request("POST", "/v1/matches/\(match)/end", key: volunteerKey, json: #"{"reason": "completed"}"#).status == 403)
        #expect(try server.request("GET", "/v1/concerns", key: volunteerKey).status == 403)
        #expect(try server.request("GET", "/v1/referrals", key: volunteerKey).status == 403)
        // A volunteer edits their own contact details only.
        let edit = try server.request("PATCH", "/v1/people/\(volunteer)", key: volunteerKey, json: #"{"roles": ["befriendee"]}"#)
        #expect(edit.status == 422 && edit.errorFields == ["roles"])
        #expect(try server.request("PATCH", "/v1/people/\(volunteer)", key: volunteerKey, json: #"{"phone": "07700 900456"}"#).status == 200)
    }

    @Test func aPartnerSystemRefersButReadsNothingBack() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let partner = try server.makeKey(.partner, name: "GP practice system")
        let response = try server.request("POST", "/v1/referrals", key: partner, json: #"""
            {"scheme": "befriending", "provider_id": "\#(f.providerA)", "source": "gp",
             "person": {"full_name": "Arthur Jones", "area_id": "leyton", "phone": "020 8500 9999", "consents": \#(SchemesFixture.consent)}}
            """#)
        #expect(response.status == 201)
        #expect(Set(response.object.keys) == ["id", "person_id", "status"])
        let id = try #require(response.object["id"] as? String)
        #expect(try server.request("GET", "/v1/referrals/\(id)", key: partner).status == 403)
        let seen = try server.request("GET", "/v1/referrals/\(id)", key: f.coordinatorA)
        #expect(seen.status == 200 && seen.object["source"] as? String == "partner")
        #expect(try server.request("GET", "/v1/referrals/\(id)", key: f.coordinatorB).status == 404)
    }

    @Test func badPersonInputIsRefusedFieldByField() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        let noConsent = try server.request("POST", "/v1/people", key: server.adminKey,
                                           json: #"{"full_name": "A Person", "roles": ["volunteer"], "postcode": "NOT A CODE", "languages": ["English"], "email": "nope"}"#)
        #expect(noConsent.status == 422)
        #expect(noConsent.header("Content-Type") == "application/problem+json")
        #expect(Set(noConsent.errorFields) == ["consents", "postcode", "languages[0]", "email"])
        let unknown = try server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "A Person", "roles": ["volunteer"], "immigration_status": "x", "consents": \#(SchemesFixture.consent)}
            """#)
        #expect(unknown.status == 422 && unknown.errorFields == ["immigration_status"])
        let area = try server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "A Person", "roles": ["volunteer"], "area_id": "atlantis", "consents": \#(SchemesFixture.consent)}
            """#)
        #expect(area.status == 422 && area.errorFields == ["area_id"])
        let leytonOfficer = try server.makeKey(.officer, scope: Scope("area:leyton"))
        let nowhere = try server.request("POST", "/v1/people", key: leytonOfficer, json: #"""
            {"full_name": "A Person", "roles": ["volunteer"], "consents": \#(SchemesFixture.consent)}
            """#)
        #expect(nowhere.status == 422 && nowhere.errorFields == ["area_id"], "a scoped key could not see the person again")
        let noRoles = try server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "A Person", "roles": [], "provider_id": "prv_nope", "consents": \#(SchemesFixture.consent)}
            """#)
        #expect(noRoles.status == 422 && noRoles.errorFields == ["roles"])
        let noProvider = try server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "A Person", "roles": ["volunteer"], "provider_id": "prv_nope", "consents": \#(SchemesFixture.consent)}
            """#)
        #expect(noProvider.status == 422 && noProvider.errorFields == ["provider_id"])
        #expect(try server.request("GET", "/v1/people?limit=0", key: server.adminKey).status == 400)
        #expect(try server.request("GET", "/v1/people/per_missing", key: server.adminKey).status == 404)
        // Nothing half-written.
        #expect(try server.request("GET", "/v1/people", key: server.adminKey).array.isEmpty)
    }

    @Test func staleWritesAreRefused() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let id = try f.person("Sam Lee", roles: ["volunteer"])
        #expect(try server.request("PATCH", "/v1/people/\(id)", key: server.adminKey, json: #"{"notes": "Prefers calls"}"#,
                                   headers: [("If-Match", "\"1\"")]).status == 200)
        let stale = try server.request("PATCH", "/v1/people/\(id)", key: server.adminKey, json: #"{"notes": "x"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(try server.request("GET", "/v1/people/\(id)", key: server.adminKey).object["notes"] as? String == "Prefers calls")
    }
}

@Suite struct DataProtectionTests {
    @Test func subjectAccessExportHoldsEverythingAndIsAudited() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (referral, person) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let volunteer = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"])
        let match = try f.activeMatch(referral: referral, volunteer: volunteer, key: f.coordinatorA)
        try f.ok("POST", "/v1/matches/\(match)/contacts", key: f.coordinatorA, json: #"{"happened_at": "2026-12-01T08:00:00Z", "minutes": 45, "kind": "call"}"#)
        try f.ok("POST", "/v1/people/\(person)/outcomes", key: f.coordinatorA, json: #"{"scheme": "befriending", "measure": "ucla3", "stage": "start", "score": 8}"#)

        #expect(try server.request("GET", "/v1/people/\(person)/export", key: f.coordinatorA).status == 403)
        let export = try server.request("GET", "/v1/people/\(person)/export", key: f.officer)
        #expect(export.status == 200)
        #expect(export.header("Content-Disposition")?.contains("subject-access-\(person).json") == true)
        let body = export.object
        #expect((body["person"] as? [String: Any])?["full_name"] as? String == "Edith Clarke")
        #expect((body["consents"] as? [[String: Any]])?.count == 1)
        #expect((body["referrals"] as? [[String: Any]])?.first?["id"] as? String == referral)
        #expect((body["matches"] as? [[String: Any]])?.first?["id"] as? String == match)
        #expect((body["contacts"] as? [[String: Any]])?.count == 1)
        #expect((body["outcomes"] as? [[String: Any]])?.first?["score"] as? Int == 8)
        #expect(((body["audit"] as? [[String: Any]]) ?? []).contains { $0["action"] as? String == "create" })
        let audit = try server.request("GET", "/v1/audit?resource_id=\(person)", key: server.adminKey)
        #expect(audit.array.contains { $0["action"] as? String == "export" })
    }

    @Test func erasureRemovesThePersonButKeepsTheFigures() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try SchemesFixture(server)
        let (referral, person) = try f.referOlderPerson("Edith Clarke", coordinator: f.coordinatorA)
        let volunteer = try f.volunteer("Priya Shah", scheme: "befriending", provider: f.providerA, modes: ["visit"])
        let match = try f.activeMatch(referral: referral, volunteer: volunteer, key: f.coordinatorA)
        for minutes in [60, 90] {
            try f.ok("POST", "/v1/matches/\(match)/contacts", key: f.coordinatorA,
                     json: #"{"happened_at": "2026-12-01T08:00:00Z", "minutes": \#(minutes), "kind": "visit", "note": "Talked about Edith's grandson"}"#)
        }
        try f.ok("POST", "/v1/people/\(person)/outcomes", key: f.coordinatorA, json: #"{"scheme": "befriending", "measure": "ucla3", "stage": "start", "score": 8}"#)
        try f.ok("POST", "/v1/people/\(person)/outcomes", key: f.coordinatorA,
                 json: #"{"scheme": "befriending", "measure": "ucla3", "stage": "review", "score": 5, "match_id": "\#(match)"}"#)
        let concern = try SchemesFixture.id(server.request("POST", "/v1/matches/\(match)/concerns", key: f.coordinatorA,
                                                          json: #"{"category": "wellbeing", "description": "Edith's son worried about money"}"#))
        let before = try server.request("GET", "/v1/schemes/befriending/report?month=2026-12", key: server.adminKey).object

        // Safeguarding records are kept while a concern is open.
        let blocked = try server.request("POST", "/v1/people/\(person)/erase", key: f.officer, json: #"{"reason": "Subject asked"}"#)
        #expect(blocked.status == 409)
        #expect(try server.request("GET", "/v1/people/\(person)", key: f.officer).object["full_name"] as? String == "Edith Clarke")
        try f.ok("PATCH", "/v1/concerns/\(concern)", key: f.coordinatorA, json: #"{"status": "closed", "outcome": "Son reassured; no abuse."}"#)

        #expect(try server.request("POST", "/v1/people/\(person)/erase", key: f.coordinatorA).status == 403)
        let erased = try server.request("POST", "/v1/people/\(person)/erase", key: f.officer, json: #"{"reason": "Subject asked"}"#)
        #expect(erased.status == 200)
        let record = try server.request("GET", "/v1/people/\(person)", key: f.officer).object
        for field in ["full_name", "phone", "address", "date_of_birth", "email", "notes"] { #expect(record[field] is NSNull, "\(field)") }
        #expect(record["erased_at"] as? String == "2026-12-01T09:00:00.000Z")
        #expect(record["age_band"] as? String == "85_plus" && record["area_id"] as? String == "leyton", "anonymous facts stay")
        let export = try server.request("GET", "/v1/people/\(person)/export", key: f.officer)
        for secret in ["Edith", "Church Lane", "8500", "grandson", "money"] { #expect(!export.text.contains(secret), "\(secret)") }

        let after = try server.request("GET", "/v1/schemes/befriending/report?month=2026-12", key: server.adminKey).object
        #expect(NSDictionary(dictionary: after) == NSDictionary(dictionary: before), "figures are unchanged by erasure")
        #expect((after["contacts"] as? [String: Any])?["count"] as? Int == 2)
        #expect(try server.request("PATCH", "/v1/people/\(person)", key: f.officer, json: #"{"phone": "020 1234 5678"}"#).status == 409)
        #expect(try server.request("POST", "/v1/people/\(person)/outcomes", key: f.officer,
                                   json: #"{"scheme": "befriending", "measure": "ucla3", "stage": "end", "score": 4}"#).status == 409)
        #expect(try server.request("POST", "/v1/people/\(person)/onward-referrals", key: f.officer,
                                   json: #"{"agency": "Age UK", "reason": "x"}"#).status == 409)
        #expect(try server.request("POST", "/v1/people/\(person)/erase", key: f.officer).status == 409)
        let audit = try server.request("GET", "/v1/audit?resource_id=\(person)", key: server.adminKey)
        #expect(audit.array.contains { $0["action"] as? String == "erase" })
    }
}
