import Foundation
import KithCore
import KithTestSupport
import Synchronization
import Testing

@Suite struct SpendingTests {
    /// Peterborough took 25 members to the New Theatre: the 26th booking is refused.
    @Test func aFullOfferRefusesTheNextBookingWithAClearError() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let offer = try f.offer(credits: 2, capacity: 25)
        var people: [String] = []
        for i in 0..<26 {
            let person = try f.volunteer("Member \(i)")
            try f.hours(person, 2)
            people.append(person)
        }
        for person in people.prefix(25) {
            let booked = try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(person)"}"#)
            #expect(booked.status == 201, "\(booked.text)")
        }
        let refused = try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(people[25])"}"#)
        #expect(refused.status == 409)
        #expect(refused.header("Content-Type") == "application/problem+json")
        #expect(refused.object["type"] as? String == "urn:kith:problem:offer-full")
        #expect(refused.object["detail"] as? String == "New Theatre: Aladdin is full: all 25 places are booked.")
        #expect(try f.balance(person: people[25]) == 2, "a refused booking spends nothing")
        let shown = try server.request("GET", "/v1/credit-offers/\(offer)")
        #expect(shown.object["places_left"] as? Int == 0 && shown.object["booked"] as? Int == 25)
    }

    @Test func bookingSpendsCancellingRefundsAndTheVenueConfirmsFirstVisits() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let anaKey = try server.makeKey(.volunteer, scope: Scope("person:\(ana)"))
        try f.hours(ana, 3)
        let panto = try f.offer(title: "Aladdin", credits: 2)
        let tour = try f.offer(title: "Backstage tour", credits: 1)

        let poor = try f.write("POST", "/v1/credit-offers/\(panto)/bookings", key: anaKey)
        #expect(poor.status == 201)
        let booking = try #require(poor.object["id"] as? String)
        #expect(try f.balance(person: ana) == 1)
        let again = try f.write("POST", "/v1/credit-offers/\(panto)/bookings", key: anaKey)
        #expect(again.status == 409, "one place per person")
        let dearer = try f.offer(title: "Gala night", credits: 5)
        let short = try f.write("POST", "/v1/credit-offers/\(dearer)/bookings", key: anaKey)
        #expect(short.status == 409 && short.object["type"] as? String == "urn:kith:problem:insufficient-credits")
        #expect(short.object["balance"] as? Int == 1 && short.object["needed"] as? Int == 5)

        // Cancelling refunds by a new movement; the spend stays in the statement.
        let cancelled = try f.write("POST", "/v1/bookings/\(booking)/cancel", key: anaKey)
        #expect(cancelled.status == 200 && cancelled.object["status"] as? String == "cancelled")
        #expect(try f.balance(person: ana) == 3)
        #expect(try f.write("POST", "/v1/bookings/\(booking)/cancel", key: anaKey).status == 409)
        let kinds = (try server.request("GET", "/v1/credit-accounts/\(try f.accountId(person: ana))/statement", key: anaKey)
            .object["entries"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
        #expect(kinds == ["issue", "spend", "refund"])

        // The venue confirms visits; the first at this venue is marked.
        let first = try #require(try f.write("POST", "/v1/credit-offers/\(tour)/bookings", key: anaKey).object["id"] as? String)
        let second = try #require(try f.write("POST", "/v1/credit-offers/\(panto)/bookings", key: anaKey).object["id"] as? String)
        #expect(try f.write("POST", "/v1/bookings/\(first)/confirm", key: anaKey).status == 403)
        let visit = try f.write("POST", "/v1/bookings/\(first)/confirm", key: f.theatreKey)
        #expect(visit.status == 200 && visit.object["first_visit"] as? Bool == true)
        #expect(try f.write("POST", "/v1/bookings/\(second)/confirm", key: f.theatreKey).object["first_visit"] as? Bool == false)
        #expect(try f.write("POST", "/v1/bookings/\(second)/cancel", key: anaKey).status == 409, "a used booking is not refunded")
        let bookings = try server.request("GET", "/v1/credit-offers/\(panto)/bookings", key: f.theatreKey)
        #expect(bookings.array.count == 2)
        #expect(try server.request("GET", "/v1/credit-offers/\(panto)/bookings", key: anaKey).status == 403)
        #expect(try server.request("PATCH", "/v1/credit-organisations/\(f.theatre)", key: server.adminKey, json: #"{"active": false}"#).status == 200)
        let closedVenue = try f.write("POST", "/v1/credit-offers/\(tour)/bookings", key: anaKey)
        #expect(closedVenue.status == 409 && closedVenue.object["type"] as? String == "urn:kith:problem:offer-not-open")
        #expect(try server.request("GET", "/v1/credit-offers").array.isEmpty, "a venue that left the scheme shows no offers")
        let theatreAccount = try #require(try server.request("GET", "/v1/credit-accounts?organisation_id=\(f.theatre)", key: f.theatreKey).array.first)
        #expect(theatreAccount["balance"] as? Int == 3)
        #expect(try f.ledgerInvariants() == (0, 0, 0))
    }

    @Test func manyConnectionsSpendingOneBalanceAtOnceCannotOverdrawIt() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        try f.hours(ana, 5)
        let offers = try (0..<20).map { try f.offer(title: "Matinee \($0)", credits: 1, capacity: nil) }
        let statuses = Mutex<[Int]>([])
        let admin = server.adminKey
        runConcurrently(20) { i in
            let status = (try? server.request("POST", "/v1/credit-offers/\(offers[i])/bookings", key: admin, json: #"{"person_id": "\#(ana)"}"#,
                                              headers: [("Idempotency-Key", UUID().uuidString)]).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        let all = statuses.withLock { $0 }
        #expect(all.filter { $0 == 201 }.count == 5, "\(all)")
        #expect(all.filter { $0 == 409 }.count == 15)
        #expect(try f.balance(person: ana) == 0)
        #expect(try f.ledgerInvariants() == (0, 0, 0))
    }

    @Test func aRetriedBookingWithTheSameKeyIsBookedAndPaidOnce() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        try f.hours(ana, 4)
        let offer = try f.offer(credits: 2)
        let key = UUID().uuidString
        let admin = server.adminKey
        let responses = Mutex<[TestResponse]>([])
        runConcurrently(6) { _ in
            if let r = try? server.request("POST", "/v1/credit-offers/\(offer)/bookings", key: admin, json: #"{"person_id": "\#(ana)"}"#,
                                           headers: [("Idempotency-Key", key)]) {
                responses.withLock { $0.append(r) }
            }
        }
        let all = responses.withLock { $0 }
        #expect(all.count == 6 && all.allSatisfy { $0.status == 201 })
        #expect(Set(all.compactMap { $0.object["id"] as? String }).count == 1, "every retry answers with the one booking")
        #expect(try f.balance(person: ana) == 2)
        let reused = try f.write("POST", "/v1/credit-offers/\(offer)/bookings", key: admin, json: #"{"person_id": "someone-else"}"#, idempotencyKey: key)
        #expect(reused.status == 422 || reused.status == 409, "a key reused for a different request is refused: \(reused.status)")
    }

    @Test func giftsAreOffUntilTheSchemeAllowsThem() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let ben = try f.volunteer("Ben Okoro")
        try f.hours(ana, 3)
        let anaKey = try server.makeKey(.volunteer, scope: Scope("person:\(ana)"))
        let off = try f.write("POST", "/v1/credit-gifts", key: anaKey, json: #"{"to_person_id": "\#(ben)", "credits": 1}"#)
        #expect(off.status == 403 && off.object["type"] as? String == "urn:kith:problem:gifting-disabled")
        #expect(try server.request("PATCH", "/v1/credit-settings", key: server.adminKey, json: #"{"gifting_allowed": true}"#).status == 200)
        let gift = try f.write("POST", "/v1/credit-gifts", key: anaKey, json: #"{"to_person_id": "\#(ben)", "credits": 2, "note": "For the panto"}"#)
        #expect(gift.status == 201 && gift.object["kind"] as? String == "gift")
        #expect(try f.balance(person: ana) == 1 && f.balance(person: ben) == 2)
        #expect(try f.write("POST", "/v1/credit-gifts", key: anaKey, json: #"{"to_person_id": "\#(ben)", "credits": 2}"#).status == 409)
        let toGroup = try f.write("POST", "/v1/credit-gifts", key: anaKey, json: #"{"to_organisation_id": "\#(f.pickers)", "credits": 1}"#)
        #expect(toGroup.status == 201)
        let both = try f.write("POST", "/v1/credit-gifts", key: anaKey, json: #"{"credits": 1}"#)
        #expect(both.status == 422 && both.errorFields == ["to_person_id"])
    }
}
