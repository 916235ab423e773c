import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct OpenReferralTests {
    @Test func servesVerifiedGroupsInHSDSEnvelopes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let services = try server.request("GET", "/openreferral/services?per_page=4")
        #expect(services.status == 200)
        #expect(services.object["total_items"] as? Int == 6)
        #expect(services.object["total_pages"] as? Int == 2 && services.object["first_page"] as? Bool == true)
        #expect((services.object["contents"] as? [[String: Any]])?.count == 4)
        let second = try server.request("GET", "/openreferral/services?per_page=4&page=2")
        #expect((second.object["contents"] as? [[String: Any]])?.count == 2 && second.object["last_page"] as? Bool == true)

        let food = try server.request("GET", "/openreferral/services/\(fixture["Leyton Food Bank"])").object
        #expect(food["organization_id"] as? String == "GB-CHC-1123456", "the charity number is the shared identity")
        #expect((food["languages"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["en", "pl"])
        #expect(food["capacity"] != nil)
        let organization = try server.request("GET", "/openreferral/organizations/GB-CHC-1123456").object
        #expect(organization["name"] as? String == "Leyton Food Bank")
        let identifier = (organization["organization_identifiers"] as? [[String: Any]])?.first
        #expect(identifier?["identifier_scheme"] as? String == "GB-CHC" && identifier?["identifier"] as? String == "1123456")
        let hall = fixture["Chingford Community Hall"]
        #expect(try server.request("GET", "/openreferral/organizations/XI-KITH-\(hall)").status == 200)
        #expect(try server.request("GET", "/openreferral/services/\(fixture["Hamptons Mutual Aid"])").status == 404, "pending groups are not published")
        #expect(try server.request("GET", "/openreferral/locations/loc_\(hall)").object["latitude"] as? Double == 51.6316)
        let sal = try server.request("GET", "/openreferral/service_at_locations?per_page=50")
        #expect(sal.object["total_items"] as? Int == 6)
    }

    @Test func postcodeProximityAndModifiedAfterFilters() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let e4 = try server.request("GET", "/openreferral/services?postcode=E4%207AB")
        #expect(Set((e4.object["contents"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
                == ["Chingford Community Hall", "South Chingford Knitting Circle"])
        let near = try server.request("GET", "/openreferral/services?postcode=E10&proximity=3000")
        #expect(Set((near.object["contents"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
                == ["Leyton Food Bank", "Leytonstone ESOL Conversation Club", "Walthamstow Youth Football"])
        server.clock.advance(seconds: 3600)
        _ = try server.request("PATCH", "/v1/groups/\(fixture["Orton Litter Pickers"])", key: server.adminKey, json: #"{"meeting_pattern": "First Sunday"}"#)
        let changed = try server.request("GET", "/openreferral/services?modified_after=\(server.clock.now().adding(seconds: -60).rfc3339)")
        #expect((changed.object["contents"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Orton Litter Pickers"])
        #expect(try server.request("GET", "/openreferral/services?postcode=NOTAPOSTCODE").status == 400)
        #expect(try server.request("GET", "/openreferral/services?proximity=100").status == 400)
    }
}
