import Foundation

/// Loads the demo councils' area trees through the API: Waltham Forest (Walthamstow, Leyton,
/// Leytonstone, Chingford with South Chingford) and Peterborough (the Ortons with Orton
/// Waterville, the Hamptons, Castor).
public func loadDemoAreas(_ server: TestServer) throws {
    let csv = """
        id,name,kind,parent_id,code
        waltham-forest,Waltham Forest,council,,E09000031
        walthamstow,Walthamstow,area,waltham-forest,
        leyton,Leyton,area,waltham-forest,
        leytonstone,Leytonstone,area,waltham-forest,
        chingford,Chingford,area,waltham-forest,
        south-chingford,South Chingford,neighbourhood,chingford,
        peterborough,Peterborough,council,,E06000031
        ortons,The Ortons,area,peterborough,
        orton-waterville,Orton Waterville,ward,ortons,
        hamptons,The Hamptons,area,peterborough,
        castor,Castor,ward,peterborough,

        """
    let response = try server.request("POST", "/v1/areas/import", key: server.adminKey, json: csv, headers: [("Content-Type", "text/csv")])
    guard response.status == 200 else { throw TestClientError("area import failed: \(response.status) \(response.text)") }
}

extension TestResponse {
    /// The `errors[].field` names of a problem.
    public var errorFields: [String] {
        (object["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
    }

    public var ids: [String] { array.compactMap { $0["id"] as? String } }
    public var names: [String] { array.compactMap { $0["name"] as? String } }
}
