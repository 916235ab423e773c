import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct CreditReportTests {
    /// November 2026: Ana (Ortons, 36) gives 3 + 1.5 hours, Ben (Hamptons, 70) 2; Ana books a
    /// 2-credit panto and goes, Ben books and cancels.
    @Test func theReportAddsUpHoursCreditsSpendingAndFirstTimers() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try CreditsFixture(server)
        let ana = try f.volunteer("Ana Silva", area: "ortons", dateOfBirth: "1990-05-01")
        let ben = try f.volunteer("Ben Okoro", area: "hamptons", dateOfBirth: "1956-02-01")
        server.clock.set(Timestamp(rfc3339: "2026-11-20T09:00:00Z")!)
        try f.hours(ana, 3, on: "2026-11-02")
        try f.hours(ana, 1.5, on: "2026-11-09")
        try f.hours(ben, 2, on: "2026-11-16", activity: "gardening")
        let offer = try f.offer(credits: 2)
        let anaBooking = try f.id(try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(ana)"}"#))
        let benBooking = try f.id(try f.write("POST", "/v1/credit-offers/\(offer)/bookings", json: #"{"person_id": "\#(ben)"}"#))
        try f.write("POST", "/v1/bookings/\(anaBooking)/confirm", key: f.theatreKey)
        try f.write("POST", "/v1/bookings/\(benBooking)/cancel")

        let report = try server.request("GET", "/v1/credits/report?from=2026-11&to=2026-11", key: f.officer)
        #expect(report.status == 200)
        let r = report.object
        #expect(NSDictionary(dictionary: r["earned"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: [
            "people": 2, "hours": 6.5, "credits_for_volunteering": 6, "credits_issued": 6, "first_time_earners": 2,
        ]))
        let byArea = (r["by_area"] as? [[String: Any]] ?? []).map { ($0["area_id"] as? String ?? "", $0["hours"] as? Double ?? 0) }
        #expect(byArea.map(\.0) == ["hamptons", "ortons"] && byArea.map(\.1) == [2, 4.5])
        let byBand = (r["by_age_band"] as? [[String: Any]] ?? []).compactMap { $0["age_band"] as? String }
        #expect(byBand == ["35_44", "65_74"])
        #expect((r["by_organisation"] as? [[String: Any]])?.first?["credits"] as? Int == 6)
        let spent = try #require(r["spent"] as? [String: Any])
        #expect(spent["credits"] as? Int == 2)
        let line = try #require((spent["by_offer"] as? [[String: Any]])?.first)
        #expect(line["bookings"] as? Int == 1 && line["attended"] as? Int == 1 && line["first_visits"] as? Int == 1)
        #expect(r["share_spent"] as? Double == 0.333)

        // December: nobody new.
        let december = try server.request("GET", "/v1/credits/report?from=2026-12", key: f.officer).object
        #expect((december["earned"] as? [String: Any])?["first_time_earners"] as? Int == 0)
        // A programme board sees no count of people under 5.
        let board = try server.request("GET", "/v1/credits/report?from=2026-11", key: try server.makeKey(.viewer)).object
        #expect((board["earned"] as? [String: Any])?["people"] is NSNull && (board["earned"] as? [String: Any])?["hours"] is NSNull,
                "two people's hours would point at them")
        #expect(board["share_spent"] is NSNull && (board["by_area"] as? [[String: Any]])?.first?["credits"] is NSNull)
        #expect(board["suppression_threshold"] as? Int == 5 && r["suppression_threshold"] is NSNull)
        #expect(try server.request("GET", "/v1/credits/report?from=2026-13", key: f.officer).status == 400)
        #expect(try server.request("GET", "/v1/credits/report", key: f.theatreKey).status == 403)
    }
}
