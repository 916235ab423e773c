import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct OpenDataTests {
    @Test func awardedGrantsExportTo360GivingWithEveryRequiredField() throws {
        let server = try TestServer { $0.settings.grantIdentifierPrefix = "360G-walthamforest" }
        defer { server.stop() }
        let f = try FundingFixture(server)
        let id = try f.underAssessment(f.foodBank)
        try f.move(id, to: "recommended")
        let grant = try FundingFixture.id(try f.money("POST", "/v1/applications/\(id)/award", json: #"{"amount_pence": 300050}"#))
        #expect(try f.money("POST", "/v1/grants/\(grant)/payments", json: #"{"amount_pence": 100000, "paid_on": "2027-01-05", "reference": "BACS-1"}"#).status == 201)
        let declined = try f.underAssessment(f.esol, title: "Not funded")
        try f.move(declined, to: "declined", reason: "Oversubscribed")

        let export = try server.request("GET", "/v1/grants/360giving")
        #expect(export.status == 200)
        let grants = export.object["grants"] as? [[String: Any]] ?? []
        #expect(grants.count == 1, "only awarded grants are published")
        let g = try #require(grants.first)
        for field in ["id", "title", "description", "currency", "amountAwarded", "awardDate", "recipientOrganization", "fundingOrganization",
                      "beneficiaryLocation"] {
            #expect(g[field] != nil, "360Giving requires \(field)")
        }
        #expect(g["id"] as? String == "360G-walthamforest-\(grant)")
        #expect(g["currency"] as? String == "GBP" && g["amountAwarded"] as? Double == 3000.5 && g["amountDisbursed"] as? Double == 1000)
        #expect(g["awardDate"] as? String == "2026-12-01" && g["grantStatus"] as? String == "awarded")
        let recipient = try #require((g["recipientOrganization"] as? [[String: Any]])?.first)
        let group = try server.request("GET", "/v1/groups/\(f.groups["Leyton Food Bank"])").object
        #expect(recipient["id"] as? String == group["organisation_identifier"] as? String, "the id the directory publishes")
        #expect(recipient["id"] as? String == "GB-CHC-1123456" && recipient["charityNumber"] as? String == "1123456")
        #expect((g["fundingOrganization"] as? [[String: Any]])?.first?["id"] as? String == "GB-LAE-WFT")
        let location = try #require((g["beneficiaryLocation"] as? [[String: Any]])?.first)
        #expect(location["name"] as? String == "Leyton" && location["geoCode"] as? String == "E09000031" && location["geoCodeType"] as? String == "LAD")

        let csv = try server.request("GET", "/v1/grants/360giving?format=csv")
        #expect(csv.header("Content-Type") == "text/csv; charset=utf-8")
        let lines = csv.text.split(separator: "\r\n").map(String.init)
        #expect(lines.count == 2)
        let header = lines[0].split(separator: ",").map(String.init)
        for column in ["Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
                       "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name", "Beneficiary Location:Name", "Grant Status"] {
            #expect(header.contains(column), "\(column)")
        }
        #expect(lines[1].hasPrefix("360G-walthamforest-\(grant),Saturday English café,") && lines[1].contains(",GBP,3000.50,1000.00,2026-12-01,GB-CHC-1123456,"))
        #expect(try server.request("GET", "/v1/grants/360giving?format=xml").status == 400)
    }

    @Test func theRoundReportCountsRequestedAwardedAndNewGroupsSuccess() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let food = try f.underAssessment(f.foodBank)            // known to the council
        let esol = try f.underAssessment(f.esol, title: "Club", amount: 200_000)   // new to the council
        let hall = try f.underAssessment(f.hall, title: "Roof", amount: 100_000)   // known
        for id in [food, esol] { try f.move(id, to: "recommended") }
        #expect(try f.money("POST", "/v1/applications/\(food)/award", json: #"{"amount_pence": 250000}"#).status == 201)
        #expect(try f.money("POST", "/v1/applications/\(esol)/award", json: #"{"amount_pence": 200000}"#).status == 201)
        try f.move(hall, to: "declined", reason: "Not a priority")
        _ = try f.draft(f.foodBank, title: "Unsent draft")

        let report = try server.request("GET", "/v1/rounds/\(f.round)/report", key: try server.makeKey(.viewer)).object
        #expect(NSDictionary(dictionary: report["totals"] as? [String: Any] ?? [:]) ==
                NSDictionary(dictionary: ["applications": 3, "requested_pence": 600_000, "awarded_pence": 450_000, "awards": 2]))
        #expect(NSDictionary(dictionary: report["by_status"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: ["awarded": 2, "declined": 1]))
        #expect(NSDictionary(dictionary: report["groups_new_to_council"] as? [String: Any] ?? [:]) ==
                NSDictionary(dictionary: ["applications": 1, "awards": 1, "success_rate": 1.0]))
        #expect((report["groups_known_to_council"] as? [String: Any])?["success_rate"] as? Double == 0.5)
        let areas = (report["by_area"] as? [[String: Any]] ?? []).compactMap { $0["area_id"] as? String }
        #expect(areas == ["chingford", "leyton", "leytonstone"])
        #expect((report["by_priority"] as? [[String: Any]])?.first?["applications"] as? Int == 3)
        let programme = try server.request("GET", "/v1/programmes/\(f.programme)/report", key: f.officer).object
        #expect((programme["totals"] as? [String: Any])?["awarded_pence"] as? Int == 450_000)
        #expect(try server.request("GET", "/v1/rounds/\(f.round)/report", key: f.foodBank).status == 403)
    }
}
