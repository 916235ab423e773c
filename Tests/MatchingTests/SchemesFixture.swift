import Foundation
import KithCore
import KithTestSupport

/// The community map, two befriending providers with a coordinator each, an unscoped officer,
/// an officer scoped to Chingford, and helpers to add people, clear volunteers and refer.
/// The clock starts at 2026-12-01T09:00:00Z so a month's report covers the whole test.
struct SchemesFixture {
    let server: TestServer
    let groups: GroupsFixture
    var providerA = ""        // Leyton befriending provider
    var providerB = ""        // Chingford befriending provider
    var coordinatorA = ""
    var coordinatorB = ""
    var officer = ""
    var chingfordOfficer = ""

    static let start = Timestamp(rfc3339: "2026-12-01T09:00:00Z")!
    static let consent = #"[{"purpose": "store_details", "given": true, "method": "written"}]"#

    init(_ server: TestServer) throws {
        self.server = server
        groups = try GroupsFixture(server)
        server.clock.set(Self.start)
        providerA = try Self.id(server.request("POST", "/v1/providers", key: server.adminKey,
                                               json: #"{"name": "Leyton Befrienders", "scheme": "befriending", "area_id": "leyton"}"#))
        providerB = try Self.id(server.request("POST", "/v1/providers", key: server.adminKey,
                                               json: #"{"name": "Chingford Friends", "scheme": "befriending", "area_id": "chingford"}"#))
        coordinatorA = try server.makeKey(.coordinator, scope: Scope("organisation:\(providerA)"), name: "Leyton coordinator")
        coordinatorB = try server.makeKey(.coordinator, scope: Scope("organisation:\(providerB)"), name: "Chingford coordinator")
        officer = try server.makeKey(.officer, name: "officer")
        chingfordOfficer = try server.makeKey(.officer, scope: Scope("area:chingford"), name: "Chingford officer")
    }

    static func id(_ response: TestResponse) throws -> String {
        guard (200...201).contains(response.status), let id = response.object["id"] as? String else {
            throw TestClientError("expected a created resource: \(response.status) \(response.text)")
        }
        return id
    }

    /// Sends a request that must succeed; returns the body as an object.
    @discardableResult
    func ok(_ method: String, _ path: String, key: String? = nil, json: String? = nil) throws -> [String: Any] {
        let response = try server.request(method, path, key: key ?? server.adminKey, json: json)
        guard (200...201).contains(response.status) else { throw TestClientError("\(method) \(path): \(response.status) \(response.text)") }
        return response.object
    }

    /// A person made by `key` (the admin by default); `extra` is more JSON fields.
    func person(_ name: String, roles: [String], area: String = "leyton", extra: String = "", key: String? = nil) throws -> String {
        let roleList = roles.map { "\"\($0)\"" }.joined(separator: ", ")
        let json = #"{"full_name": "\#(name)", "roles": [\#(roleList)], "area_id": "\#(area)", "consents": \#(Self.consent)\#(extra.isEmpty ? "" : ", " + extra)}"#
        return try Self.id(server.request("POST", "/v1/people", key: key ?? server.adminKey, json: json))
    }

    /// Every check either scheme asks for, clear: an enhanced DBS (issued `dbsIssued`), two
    /// references, safeguarding training and the befriending induction; `skip` leaves one out.
    func clear(_ personId: String, dbsIssued: String = "2025-06-01", skip: String? = nil) throws {
        let checks = [
            ("dbs", #"{"kind": "dbs", "detail": "enhanced", "status": "clear", "issued_on": "\#(dbsIssued)", "certificate": "001234567890"}"#),
            ("reference", #"{"kind": "reference", "detail": "employer", "status": "clear", "issued_on": "2025-05-01"}"#),
            ("reference", #"{"kind": "reference", "detail": "friend", "status": "clear", "issued_on": "2025-05-02"}"#),
            ("safeguarding", #"{"kind": "training", "detail": "safeguarding", "status": "clear", "issued_on": "2025-05-10"}"#),
            ("befriending_induction", #"{"kind": "training", "detail": "befriending_induction", "status": "clear", "issued_on": "2025-05-11"}"#),
        ]
        for (name, json) in checks where name != skip { try ok("POST", "/v1/people/\(personId)/checks", json: json) }
    }

    /// A cleared volunteer offering `scheme`.
    func volunteer(_ name: String, area: String = "leyton", languages: [String] = ["en"], gender: String = "female", scheme: String = "fan",
                   provider: String? = nil, capacity: Int = 2, interests: [String] = [], availability: [String] = [],
                   modes: [String] = ["meet_up"], skip: String? = nil, dbsIssued: String = "2025-06-01") throws -> String {
        let extra = #""languages": \#(Self.list(languages)), "gender": "\#(gender)""# + (provider.map { #", "provider_id": "\#($0)""# } ?? "")
        let id = try person(name, roles: ["volunteer"], area: area, extra: extra)
        try clear(id, dbsIssued: dbsIssued, skip: skip)
        let providerField = provider.map { #", "provider_id": "\#($0)""# } ?? ""
        try ok("PUT", "/v1/people/\(id)/offers/\(scheme)", json: #"""
            {"capacity": \#(capacity), "interests": \#(Self.list(interests)), "availability": \#(Self.list(availability)),
             "modes": \#(Self.list(modes))\#(providerField)}
            """#)
        return id
    }

    /// Refers someone new to FAN; returns (referral id, person id).
    func referNewArrival(_ name: String, area: String = "leyton", languages: [String] = ["ar"], preferences: String = "{}",
                         key: String? = nil) throws -> (referral: String, person: String) {
        let body = try ok("POST", "/v1/referrals", key: key, json: #"""
            {"scheme": "fan", "source": "group",
             "person": {"full_name": "\#(name)", "area_id": "\#(area)", "languages": \#(Self.list(languages)), "phone": "07700 900123",
                        "address": "1 High Road, London", "consents": \#(Self.consent)},
             "preferences": \#(preferences),
             "details": {"english": "not_well", "goals": ["english_practice", "social"], "arrival_month": "2026-09"}}
            """#)
        return (body["id"] as? String ?? "", body["person_id"] as? String ?? "")
    }

    /// Refers an older person to a befriending provider (as its coordinator).
    func referOlderPerson(_ name: String, coordinator: String, area: String = "leyton") throws -> (referral: String, person: String) {
        let body = try ok("POST", "/v1/referrals", key: coordinator, json: #"""
            {"scheme": "befriending", "source": "gp", "needs": "Lives alone since her husband died; would like a weekly visit.",
             "person": {"full_name": "\#(name)", "area_id": "\#(area)", "date_of_birth": "1938-04-02", "phone": "020 8500 1234",
                        "address": "12 Church Lane, London", "consents": \#(Self.consent)},
             "preferences": {"modes": ["visit"]}, "details": {"living_situation": "alone", "housebound": true}}
            """#)
        return (body["id"] as? String ?? "", body["person_id"] as? String ?? "")
    }

    /// Proposes, introduces and activates a match; returns its id.
    func activeMatch(referral: String, volunteer: String, key: String? = nil) throws -> String {
        let match = try ok("POST", "/v1/matches", key: key, json: #"{"referral_id": "\#(referral)", "volunteer_id": "\#(volunteer)"}"#)
        let id = match["id"] as? String ?? ""
        try ok("POST", "/v1/matches/\(id)/introduce", key: key)
        try ok("POST", "/v1/matches/\(id)/activate", key: key)
        return id
    }

    func volunteerKey(_ personId: String) throws -> String {
        try server.makeKey(.volunteer, scope: Scope("person:\(personId)"), name: "volunteer \(personId)")
    }

    func advance(days: Int) { server.clock.advance(seconds: Int64(days) * 86_400) }

    static func list(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
}
