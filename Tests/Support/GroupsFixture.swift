import Foundation
import KithCore

/// A small, known community map: what the dashboard and search tests count against.
///
/// | name | based in | status | activities | beneficiaries | needs | offers | known | location |
/// |---|---|---|---|---|---|---|---|---|
/// | Leyton Food Bank | leyton | verified | food, advice | families, new_arrivals | premises, volunteers | food | yes | 51.5615,-0.0115 |
/// | Leytonstone ESOL Conversation Club | leytonstone | verified | english_language | new_arrivals, refugees | training | english_practice | no | 51.5685,0.0085 |
/// | Chingford Community Hall | chingford | verified | arts_and_culture | everyone | | space, volunteers | yes | 51.6316,0.0035 |
/// | South Chingford Knitting Circle | south-chingford | verified | arts_and_culture, older_people | older_people | publicity | | no | 51.6170,-0.0070 |
/// | Walthamstow Youth Football | walthamstow | verified | sport, youth | young_people | funding | volunteers | no | 51.5840,-0.0200 |
/// | Orton Litter Pickers | orton-waterville | verified | environment | everyone | | | no | 52.5530,-0.2890 |
/// | Hamptons Mutual Aid | hamptons | pending | food, crisis_response | isolated_people | volunteers | food | no | none |
public struct GroupsFixture {
    public let server: TestServer
    public var ids: [String: String] = [:]

    public static let groups: [(name: String, json: String)] = [
        ("Leyton Food Bank", #"""
            {"name": "Leyton Food Bank", "kind": "charity", "based_in": "leyton", "charity_number": "1123456",
             "description": "Weekly food parcels and benefits advice for families in Leyton.",
             "activities": ["food", "advice"], "beneficiaries": ["families", "new_arrivals"], "languages": ["en", "pl"],
             "needs": ["premises", "volunteers"], "offers": ["food"], "known_to_council": true, "works_with_council": true,
             "contact": {"name": "Amina", "email": "hello@leytonfoodbank.org", "phone": "020 8123 4567", "public": true},
             "location": {"latitude": 51.5615, "longitude": -0.0115}, "postcode_outward": "E10", "scale": "town_area"}
            """#),
        ("Leytonstone ESOL Conversation Club", #"""
            {"name": "Leytonstone ESOL Conversation Club", "kind": "community_group", "based_in": "leytonstone",
             "description": "Informal English practice over tea for new arrivals.", "activities": ["english_language"],
             "beneficiaries": ["new_arrivals", "refugees"], "languages": ["en", "ar", "ti"], "needs": ["training"],
             "offers": ["english_practice"], "newly_formed": true, "operates_in": ["leyton"],
             "contact": {"name": "Sam", "email": "esol@example.org"},
             "location": {"latitude": 51.5685, "longitude": 0.0085}, "postcode_outward": "E11", "scale": "neighbourhood"}
            """#),
        ("Chingford Community Hall", #"""
            {"name": "Chingford Community Hall", "kind": "community_group", "based_in": "chingford",
             "description": "A hall for hire with volunteers who help run events.", "activities": ["arts_and_culture"],
             "beneficiaries": ["everyone"], "offers": ["space", "volunteers"], "known_to_council": true,
             "location": {"latitude": 51.6316, "longitude": 0.0035}, "postcode_outward": "E4"}
            """#),
        ("South Chingford Knitting Circle", #"""
            {"name": "South Chingford Knitting Circle", "kind": "community_group", "based_in": "south-chingford",
             "description": "Knitting and a chat for older residents.", "activities": ["arts_and_culture", "older_people"],
             "beneficiaries": ["older_people"], "needs": ["publicity"], "newly_formed": true,
             "location": {"latitude": 51.6170, "longitude": -0.0070}, "postcode_outward": "E4"}
            """#),
        ("Walthamstow Youth Football", #"""
            {"name": "Walthamstow Youth Football", "kind": "community_group", "based_in": "walthamstow",
             "description": "Saturday football for 8 to 16 year olds.", "activities": ["sport", "youth"],
             "beneficiaries": ["young_people"], "needs": ["funding"], "offers": ["volunteers"],
             "location": {"latitude": 51.5840, "longitude": -0.0200}, "postcode_outward": "E17"}
            """#),
        ("Orton Litter Pickers", #"""
            {"name": "Orton Litter Pickers", "kind": "community_group", "based_in": "orton-waterville",
             "description": "Monthly litter picks in the Ortons.", "activities": ["environment"], "beneficiaries": ["everyone"],
             "location": {"latitude": 52.5530, "longitude": -0.2890}, "postcode_outward": "PE2"}
            """#),
        ("Hamptons Mutual Aid", #"""
            {"name": "Hamptons Mutual Aid", "kind": "mutual_aid_group", "based_in": "hamptons", "status": "pending",
             "description": "Shopping and prescriptions for people self-isolating.", "activities": ["food", "crisis_response"],
             "beneficiaries": ["isolated_people"], "needs": ["volunteers"], "offers": ["food"]}
            """#),
    ]

    public init(_ server: TestServer) throws {
        self.server = server
        try loadDemoAreas(server)
        for (name, json) in Self.groups {
            server.clock.advance(seconds: 60)
            let response = try server.request("POST", "/v1/groups", key: server.adminKey, json: json)
            guard response.status == 201, let id = response.object["id"] as? String else {
                throw TestClientError("could not create \(name): \(response.status) \(response.text)")
            }
            ids[name] = id
        }
    }

    public subscript(name: String) -> String { ids[name] ?? "missing-\(name)" }

    /// Submits the public survey; returns the response.
    public func survey(_ fields: String) throws -> TestResponse {
        try server.request("POST", "/v1/groups/survey", json: "{\(fields)}")
    }
}
