import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct LedgerTests {
    @Test func aCorrectionIsAReversingMovementWithAReasonMadeOnce() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let record = try f.hours(ana, 4)
        let movement = try #require(record["movement_id"] as? String)
        let noReason = try f.write("POST", "/v1/credit-movements/\(movement)/reverse", json: "{}")
        #expect(noReason.status == 422 && noReason.errorFields == ["reason"])
        #expect(try f.write("POST", "/v1/credit-movements/\(movement)/reverse", key: f.pickersKey, json: #"{"reason": "x"}"#).status == 403)
        let reversed = try f.write("POST", "/v1/credit-movements/\(movement)/reverse", json: #"{"reason": "Recorded against the wrong volunteer"}"#)
        #expect(reversed.status == 201 && reversed.object["kind"] as? String == "reversal" && reversed.object["reverses"] as? String == movement)
        #expect(try f.balance(person: ana) == 0)
        let recordId = try #require(record["id"] as? String)
        #expect(try server.request("GET", "/v1/volunteering/\(recordId)", key: f.pickersKey).object["status"] as? String == "reversed")
        #expect(try f.write("POST", "/v1/credit-movements/\(movement)/reverse", json: #"{"reason": "again"}"#).status == 409)
        // Staff limited to another area neither see nor reverse these movements.
        let elsewhere = try server.makeKey(.officer, scope: Scope("area:waltham-forest"))
        #expect(try server.request("GET", "/v1/credit-movements", key: elsewhere).array.isEmpty)
        #expect(try server.request("GET", "/v1/credit-movements", key: f.officer).array.count == 2)
        #expect(try f.write("POST", "/v1/credit-movements/\(reversed.object["id"] as? String ?? "")/reverse", key: elsewhere,
                            json: #"{"reason": "x"}"#).status == 404)
        let scopedAdmin = try server.makeKey(.admin, scope: Scope("area:peterborough"))
        #expect(try server.request("PATCH", "/v1/credit-settings", key: scopedAdmin, json: #"{"gifting_allowed": true}"#).status == 403)
        let reversal = try #require(reversed.object["id"] as? String)
        #expect(try f.write("POST", "/v1/credit-movements/\(reversal)/reverse", json: #"{"reason": "undo"}"#).status == 409)

        // Spent credits cannot be taken back.
        let ben = try f.volunteer("Ben Okoro")
        let benMovement = try #require(try f.hours(ben, 2)["movement_id"] as? String)
        let offer = try f.offer(credits: 2)
        #expect(try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(ben)"}"#).status == 201)
        let overdraw = try f.write("POST", "/v1/credit-movements/\(benMovement)/reverse", json: #"{"reason": "mistake"}"#)
        #expect(overdraw.status == 409 && overdraw.object["type"] as? String == "urn:kith:problem:insufficient-credits")
        #expect(try f.ledgerInvariants() == (0, 0, 0))
        // The journal is append-only even from inside the database.
        let edit = Result { try server.app.services.database.write { db in try db.run("UPDATE credit_movements SET credits = 99") } }
        #expect((try? edit.get()) == nil, "the trigger refuses edits")
    }

    @Test func aStatementRunsTheBalanceAndSumsToIt() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        let anaKey = try server.makeKey(.volunteer, scope: Scope("person:\(ana)"))
        try f.hours(ana, 3, on: "2026-11-20")
        f.server.clock.advance(seconds: 86_400)
        let offer = try f.offer(credits: 2)
        try f.write("POST", "/v1/credit-offers/\(offer)/bookings", key: anaKey)
        f.server.clock.advance(seconds: 86_400)
        try f.hours(ana, 4, on: "2026-12-02")
        let account = try f.accountId(person: ana)

        let full = try server.request("GET", "/v1/credit-accounts/\(account)/statement", key: anaKey).object
        let entries = full["entries"] as? [[String: Any]] ?? []
        #expect(entries.compactMap { $0["balance"] as? Int } == [3, 1, 5])
        let net = entries.reduce(0) { $0 + ($1["credits_in"] as? Int ?? 0) - ($1["credits_out"] as? Int ?? 0) }
        #expect(net == 5 && full["closing_balance"] as? Int == 5 && full["opening_balance"] as? Int == 0)
        #expect(try server.request("GET", "/v1/credit-accounts/\(account)", key: anaKey).object["balance"] as? Int == 5)

        let range = try server.request("GET", "/v1/credit-accounts/\(account)/statement?from=2026-12-02&to=2026-12-31", key: anaKey).object
        #expect(range["opening_balance"] as? Int == 3 && range["closing_balance"] as? Int == 5, "opening: the 3 credits issued on the 1st")
        #expect((range["entries"] as? [Any])?.count == 2)

        let csv = try server.request("GET", "/v1/credit-accounts/\(account)/statement?format=csv", key: anaKey)
        #expect(csv.header("Content-Type") == "text/csv; charset=utf-8")
        let lines = csv.text.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "movement_id,at,kind,source,source_id,counterparty,credits_in,credits_out,balance,reason")
        #expect(lines.count == 5 && lines.last?.contains(",issue,volunteering,") == true && lines.last?.contains(",5,") == true)

        let other = try server.makeKey(.volunteer, scope: Scope("person:\(try f.volunteer("Ben Okoro"))"))
        #expect(try server.request("GET", "/v1/credit-accounts/\(account)/statement", key: other).status == 404)
        #expect(try server.request("GET", "/v1/credit-accounts/\(account)/statement?from=yesterday", key: anaKey).status == 400)
    }

    /// Random sequences of earning, booking, cancelling, gifting and reversing, through the API:
    /// afterwards every balance equals the sum of its movements, none is negative, the ledger
    /// sums to zero, and every refused operation moved nothing.
    @Test(arguments: [20261126, 7, 42])
    func randomOperationsKeepTheLedgerBalanced(seed: Int) throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        #expect(try server.request("PATCH", "/v1/credit-settings", key: server.adminKey, json: #"{"gifting_allowed": true, "max_hours_per_day": 24}"#).status == 200)
        var random = SeededRandom(seed: UInt64(seed))
        var people: [String] = []
        for i in 0..<6 { people.append(try f.volunteer("Volunteer \(i)")) }
        var offers: [String] = []
        for i in 0..<3 { offers.append(try f.offer(title: "Offer \(i)", credits: 1 + i, capacity: 4)) }
        var bookings: [String] = []
        var movements: [String] = []
        var expected: [String: Int] = [:]
        for step in 0..<120 {
            let person = people[Int(random.next() % UInt64(people.count))]
            switch random.next() % 5 {
            case 0, 1:
                let halfHours = 1 + Int(random.next() % 6)
                let response = try f.write("POST", "/v1/volunteering", key: f.pickersKey, json: #"""
                    {"person_id": "\#(person)", "organisation_id": "\#(f.pickers)", "on_date": "2026-11-\#(10 + step % 15)",
                     "hours": \#(Double(halfHours) / 2), "activity": "litter_picking"}
                    """#)
                if response.status == 201, let movement = response.object["movement_id"] as? String { movements.append(movement) }
            case 2:
                let response = try f.write("POST", "/v1/credit-offers/\(offers[Int(random.next() % 3)])/bookings", json: #"{"person_id": "\#(person)"}"#)
                if response.status == 201, let id = response.object["id"] as? String { bookings.append(id) }
                #expect([201, 409].contains(response.status), "\(response.text)")
            case 3 where !bookings.isEmpty:
                let booking = bookings.remove(at: Int(random.next() % UInt64(bookings.count)))
                #expect([200, 409].contains(try f.write("POST", "/v1/bookings/\(booking)/cancel").status))
            case 3, 4:
                if random.next() % 2 == 0, !movements.isEmpty {
                    let movement = movements.remove(at: Int(random.next() % UInt64(movements.count)))
                    #expect([201, 409].contains(try f.write("POST", "/v1/credit-movements/\(movement)/reverse", json: #"{"reason": "random"}"#).status))
                } else {
                    let to = people[Int(random.next() % UInt64(people.count))]
                    guard to != person else { continue }
                    let credits = 1 + Int(random.next() % 3)
                    #expect([201, 409].contains(try f.write("POST", "/v1/credit-gifts", json: #"""
                        {"from_person_id": "\#(person)", "to_person_id": "\#(to)", "credits": \#(credits)}
                        """#).status))
                }
            default:
                break
            }
            if step % 30 == 29 { #expect(try f.ledgerInvariants() == (0, 0, 0), "after step \(step)") }
        }
        #expect(try f.ledgerInvariants() == (0, 0, 0))
        // Each balance the API reports equals its statement's closing balance.
        for person in people {
            guard let account = try? f.accountId(person: person) else { continue }
            let statement = try server.request("GET", "/v1/credit-accounts/\(account)/statement", key: server.adminKey).object
            expected[person] = statement["closing_balance"] as? Int
            #expect(try f.balance(person: person) == expected[person])
        }
    }

    @Test func creditsHeldLongerThanTheSchemeAllowsExpireByAnEntry() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva")
        try f.hours(ana, 5, on: "2026-11-30")
        #expect(try f.write("POST", "/v1/credit-expiry").status == 409, "no expiry set")
        #expect(try server.request("PATCH", "/v1/credit-settings", key: server.adminKey, json: #"{"expiry_months": 12}"#).status == 200)
        server.clock.set(Timestamp(rfc3339: "2027-06-01T09:00:00Z")!)
        try f.hours(ana, 2, on: "2027-06-01")
        let offer = try f.offer(title: "Summer swim", credits: 1)
        #expect(try f.write("PATCH", "/v1/credit-offers/\(offer)", key: f.theatreKey, json: #"{"valid_to": "2027-12-31"}"#).status == 200)
        #expect(try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(ana)"}"#).status == 201)
        #expect(try f.write("POST", "/v1/credit-expiry").object["credits"] as? Int == 0, "nothing held a year yet")
        server.clock.set(Timestamp(rfc3339: "2027-12-15T09:00:00Z")!)
        let run = try f.write("POST", "/v1/credit-expiry")
        #expect(run.status == 200 && run.object["credits"] as? Int == 4 && run.object["accounts"] as? Int == 1,
                "6 held, 1 spent (the oldest first), 2 earned within the year: 4 from 2026 expire")
        #expect(try f.balance(person: ana) == 2)
        #expect(try f.write("POST", "/v1/credit-expiry").object["credits"] as? Int == 0, "running again expires nothing more")
        #expect(try f.ledgerInvariants() == (0, 0, 0))
    }
}
