import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct AreasTests {
    @Test func importBuildsTheTreeAndListsItInTreeOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        let all = try server.request("GET", "/v1/areas?limit=200")
        #expect(all.status == 200, "areas are public reference data")
        #expect(all.array.compactMap { $0["id"] as? String } == [
            "peterborough", "peterborough-castor", "hamptons", "ortons", "orton-waterville",
            "waltham-forest", "chingford", "south-chingford", "leyton", "leytonstone", "walthamstow",
        ].map { $0 == "peterborough-castor" ? "castor" : $0 })
        let chingford = try server.request("GET", "/v1/areas?within=chingford")
        #expect(chingford.array.compactMap { $0["id"] as? String } == ["chingford", "south-chingford"])
        let south = try server.request("GET", "/v1/areas/south-chingford")
        #expect(south.object["ancestors"] as? [String] == ["waltham-forest", "chingford"])
        #expect(south.object["council_id"] as? String == "waltham-forest")
        #expect(south.header("ETag") == "\"1\"")
        #expect(try server.request("GET", "/v1/areas?within=atlantis").status == 400)
        #expect(try server.request("GET", "/v1/areas?kind=ward").array.count == 2)

        // Importing the same file again changes nothing and creates nothing twice.
        let again = try server.request("POST", "/v1/areas/import", key: server.adminKey,
                                       json: "id,name,kind,parent_id\nleyton,Leyton,area,waltham-forest\ncastor,Castor Ward,ward,peterborough\n",
                                       headers: [("Content-Type", "text/csv; charset=utf-8")])
        #expect(again.text == #"{"created":0,"updated":1}"#)
        #expect(try server.request("GET", "/v1/areas?limit=200").array.count == 11)
    }

    @Test func importIsAllOrNothingWithRowNumbers() throws {
        let server = try TestServer()
        defer { server.stop() }
        let csv = "id,name,kind,parent_id\nnewham,Newham,council,\nstratford,Stratford,area,newham\nBad Id,X,area,newham\nforest-gate,Forest Gate,planet,newham\n"
        let response = try server.request("POST", "/v1/areas/import", key: server.adminKey, json: csv, headers: [("Content-Type", "text/csv")])
        #expect(response.status == 422)
        let fields = (response.object["errors"] as? [[String: String]] ?? []).compactMap { $0["field"] }
        #expect(fields == ["row 4.id", "row 5.kind"])
        #expect(try server.request("GET", "/v1/areas").array.isEmpty, "nothing was imported")

        let orphan = try server.request("POST", "/v1/areas/import", key: server.adminKey,
                                        json: "id,name,kind,parent_id\nstratford,Stratford,area,newham\n", headers: [("Content-Type", "text/csv")])
        #expect(orphan.status == 422)
        #expect((orphan.object["errors"] as? [[String: String]])?.first?["field"] == "row 2.parent_id")
        let ragged = try server.request("POST", "/v1/areas/import", key: server.adminKey,
                                        json: "id,name,kind\nx,\"unclosed,council\n", headers: [("Content-Type", "text/csv")])
        #expect(ragged.status == 400)
        #expect(try server.request("POST", "/v1/areas/import", key: server.adminKey, json: "{}").status == 415)
    }

    @Test func validatesKindsNestingAndIds() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        func create(_ json: String) throws -> TestResponse { try server.request("POST", "/v1/areas", key: server.adminKey, json: json) }
        #expect(try create(#"{"id": "leyton", "name": "Leyton again", "kind": "area", "parent_id": "waltham-forest"}"#).status == 422)
        #expect(try create(#"{"id": "x1", "name": "Ward in a neighbourhood", "kind": "ward", "parent_id": "south-chingford"}"#).status == 422)
        #expect(try create(#"{"id": "x2", "name": "Orphan", "kind": "area"}"#).status == 422)
        #expect(try create(#"{"id": "x3", "name": "Nested council", "kind": "council", "parent_id": "leyton"}"#).status == 422)
        #expect(try create(#"{"id": "X 4", "name": "Bad id", "kind": "council"}"#).status == 422)
        let sameName = try create(#"{"id": "leyton-2", "name": "LEYTON", "kind": "area", "parent_id": "waltham-forest"}"#)
        #expect(sameName.status == 422, "sibling names are unique")
        #expect((sameName.object["errors"] as? [[String: String]])?.first?["field"] == "name")
        let created = try create(#"{"id": "highams-park", "name": "Highams Park", "kind": "area", "parent_id": "waltham-forest"}"#)
        #expect(created.status == 201 && created.header("Location") == "/v1/areas/highams-park")
    }

    @Test func movingAnAreaCarriesItsSubtreeAndRefusesCycles() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        let moved = try server.request("PATCH", "/v1/areas/chingford", key: server.adminKey, json: #"{"parent_id": "walthamstow"}"#,
                                       headers: [("If-Match", "\"1\"")])
        #expect(moved.status == 200)
        #expect(try server.request("GET", "/v1/areas/south-chingford").object["ancestors"] as? [String]
                == ["waltham-forest", "walthamstow", "chingford"])
        #expect(try server.request("GET", "/v1/areas?within=walthamstow").array.count == 3)
        #expect(try server.request("GET", "/v1/areas/south-chingford").header("ETag") == "\"2\"", "descendants change version too")
        let cycle = try server.request("PATCH", "/v1/areas/walthamstow", key: server.adminKey, json: #"{"parent_id": "south-chingford"}"#)
        #expect(cycle.status == 422)
        let acrossCouncils = try server.request("PATCH", "/v1/areas/leyton", key: server.adminKey, json: #"{"parent_id": "peterborough"}"#)
        #expect(acrossCouncils.status == 422)
        let stale = try server.request("PATCH", "/v1/areas/chingford", key: server.adminKey, json: #"{"name": "C"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
    }

    @Test func deleteRefusesAreasWithChildren() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        #expect(try server.request("DELETE", "/v1/areas/chingford", key: server.adminKey).status == 409)
        #expect(try server.request("DELETE", "/v1/areas/south-chingford", key: server.adminKey).status == 204)
        #expect(try server.request("GET", "/v1/areas/south-chingford").status == 404)
        let audit = try server.request("GET", "/v1/audit?resource_type=area&action=delete", key: server.adminKey)
        #expect(audit.array.first?["resource_id"] as? String == "south-chingford")
    }

    @Test func scopedAdminsEditOnlyInsideTheirCouncil() throws {
        let server = try TestServer()
        defer { server.stop() }
        try loadDemoAreas(server)
        let peterborough = try server.makeKey(.admin, scope: Scope("area:peterborough"))
        let inside = try server.request("POST", "/v1/areas", key: peterborough, json: #"{"id": "werrington", "name": "Werrington", "kind": "ward", "parent_id": "peterborough"}"#)
        #expect(inside.status == 201)
        let outside = try server.request("POST", "/v1/areas", key: peterborough, json: #"{"id": "cann-hall", "name": "Cann Hall", "kind": "ward", "parent_id": "leytonstone"}"#)
        #expect(outside.status == 403)
        let council = try server.request("POST", "/v1/areas", key: peterborough, json: #"{"id": "newham", "name": "Newham", "kind": "council"}"#)
        #expect(council.status == 403)
        #expect(try server.request("PATCH", "/v1/areas/leyton", key: peterborough, json: #"{"name": "Mine now"}"#).status == 404)
        #expect(try server.request("PATCH", "/v1/areas/castor", key: peterborough, json: #"{"code": "E05010809"}"#).status == 200)
        let sneaky = try server.request("POST", "/v1/areas/import", key: peterborough,
                                        json: "id,name,kind,parent_id\nleyton,Renamed,area,waltham-forest\n", headers: [("Content-Type", "text/csv")])
        #expect(sneaky.status == 403, "import cannot reach outside the key's scope either")
        #expect(try server.request("GET", "/v1/areas/leyton").object["name"] as? String == "Leyton")
    }
}
