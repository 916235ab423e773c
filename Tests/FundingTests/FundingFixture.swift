import Foundation
import KithCore
import KithTestSupport

/// Waltham Forest's Community Bank: the community map, the Leyton network (steering group rule,
/// one steering member, one adopted priority), a funder, a programme and an open round asking
/// Leyton's view; group keys for applicants; three assessors, one of them the Food Bank's
/// contact and one Leyton's steering member. The clock starts at 2026-12-01T09:00:00Z.
struct FundingFixture {
    let server: TestServer
    let groups: GroupsFixture
    var leyton = ""
    var steeringMember = ""
    var priority = ""
    var funder = ""
    var programme = ""
    var round = ""
    var foodBank = ""          // Leyton Food Bank's key
    var esol = ""              // Leytonstone ESOL Conversation Club's key
    var hall = ""              // Chingford Community Hall's key
    var litter = ""            // Orton Litter Pickers' key (Peterborough)
    var mutualAid = ""         // Hamptons Mutual Aid's key (pending in the directory)
    var facilitator = ""       // Leyton's facilitator
    var officer = ""
    var assessorA = ""         // no conflicts
    var assessorB = ""         // hello@leytonfoodbank.org: the Food Bank's contact
    var assessorC = ""         // priya@example.org: Leyton's steering member

    static let start = Timestamp(rfc3339: "2026-12-01T09:00:00Z")!

    init(_ server: TestServer) throws {
        self.server = server
        groups = try GroupsFixture(server)
        server.clock.set(Self.start)
        let admin = server.adminKey
        leyton = try Self.id(server.request("POST", "/v1/networks", key: admin, json: #"""
            {"name": "Leyton Community Network", "areas": ["leyton"], "status": "active", "decision_rule": "steering_group"}
            """#))
        steeringMember = try Self.id(server.request("POST", "/v1/networks/\(leyton)/members", key: admin, json: #"""
            {"kind": "local_leader", "name": "Priya Patel", "role": "steering", "contact": {"name": "Priya Patel", "email": "priya@example.org"}}
            """#))
        priority = try Self.id(server.request("POST", "/v1/networks/\(leyton)/priorities", key: admin,
                                              json: #"{"title": "English practice for new arrivals"}"#))
        let decided = try server.request("POST", "/v1/networks/\(leyton)/priorities/\(priority)/decide", key: admin, json: #"""
            {"outcome": "adopted", "rationale": "Agreed by the steering group.", "participants": ["\#(steeringMember)"]}
            """#)
        guard decided.object["status"] as? String == "adopted" else { throw TestClientError("priority: \(decided.text)") }
        facilitator = try server.makeKey(.facilitator, scope: Scope("network:\(leyton)"), name: "Leyton facilitator")
        let facilitatorId = try Self.keyId(server, facilitator)
        guard try server.request("PUT", "/v1/networks/\(leyton)/facilitators", key: admin, json: #"{"lead": "\#(facilitatorId)"}"#).status == 200 else {
            throw TestClientError("appoint")
        }
        funder = try Self.id(server.request("POST", "/v1/funders", key: admin,
                                            json: #"{"name": "Waltham Forest Council", "organisation_identifier": "GB-LAE-WFT"}"#))
        programme = try Self.id(server.request("POST", "/v1/programmes", key: admin,
                                               json: #"{"funder_id": "\#(funder)", "name": "Community Bank", "description": "Small pots for communities."}"#))
        round = try makeRound()
        foodBank = try server.makeKey(.group, scope: Scope("group:\(groups["Leyton Food Bank"])"))
        esol = try server.makeKey(.group, scope: Scope("group:\(groups["Leytonstone ESOL Conversation Club"])"))
        hall = try server.makeKey(.group, scope: Scope("group:\(groups["Chingford Community Hall"])"))
        litter = try server.makeKey(.group, scope: Scope("group:\(groups["Orton Litter Pickers"])"))
        mutualAid = try server.makeKey(.group, scope: Scope("group:\(groups["Hamptons Mutual Aid"])"))
        officer = try server.makeKey(.officer, name: "grants officer")
        assessorA = try addAssessor("Amina Assessor", "amina@example.org")
        assessorB = try addAssessor("Food Bank Contact", "hello@leytonfoodbank.org")
        assessorC = try addAssessor("Priya Patel", "PRIYA@example.org")
    }

    /// A round in the programme; `extra` is more JSON fields, replacing the defaults given.
    func makeRound(name: String = "Community Bank 2026/27", opens: String = "2026-11-01", closes: String = "2026-12-31",
                   budget: Int = 1_000_000) throws -> String {
        try Self.id(server.request("POST", "/v1/rounds", key: server.adminKey, json: #"""
            {"programme_id": "\#(programme)", "name": "\#(name)", "opens_on": "\#(opens)", "closes_on": "\#(closes)",
             "budget_pence": \#(budget), "min_grant_pence": 50000, "max_grant_pence": 500000,
             "eligibility": {"areas": ["waltham-forest"], "open_to_all": true},
             "criteria": [{"id": "need", "name": "Need in the area", "weight": 2}, {"id": "reach", "name": "People reached", "weight": 1}],
             "network_ids": ["\#(leyton)"], "in_kind_rate_pence": 1500}
            """#))
    }

    func addAssessor(_ name: String, _ email: String) throws -> String {
        let key = try server.makeKey(.officer, name: name)
        let keyId = try Self.keyId(server, key)
        let added = try server.request("POST", "/v1/rounds/\(round)/assessors", key: server.adminKey,
                                       json: #"{"key_id": "\#(keyId)", "name": "\#(name)", "email": "\#(email)"}"#)
        guard added.status == 201 else { throw TestClientError("assessor: \(added.text)") }
        return key
    }

    /// A draft by `key` to `round` (the fixture's round by default).
    func draft(_ key: String, title: String = "Saturday English café", amount: Int = 300_000, round: String? = nil, openToAll: Bool = true,
               extra: String = "") throws -> String {
        try Self.id(server.request("POST", "/v1/applications", key: key, json: #"""
            {"round_id": "\#(round ?? self.round)", "title": "\#(title)", "summary": "Weekly conversation practice with tea.",
             "amount_requested_pence": \#(amount), "open_to_all": \#(openToAll), "beneficiaries": ["new_arrivals"],
             "priority_ids": ["\#(priority)"], "starts_on": "2027-01-01", "ends_on": "2027-12-31", "expected_reach": 120\#(extra)}
            """#))
    }

    /// Draft, submit (eligible), and start assessment; returns the application id.
    func underAssessment(_ key: String, title: String = "Saturday English café", amount: Int = 300_000) throws -> String {
        let id = try draft(key, title: title, amount: amount)
        let submitted = try server.request("POST", "/v1/applications/\(id)/submit", key: key)
        guard submitted.object["status"] as? String == "eligible" else { throw TestClientError("submit: \(submitted.text)") }
        try move(id, to: "under_assessment")
        return id
    }

    func move(_ id: String, to status: String, reason: String = "panel decision") throws {
        let moved = try server.request("POST", "/v1/applications/\(id)/transitions", key: officer, json: #"{"to": "\#(status)", "reason": "\#(reason)"}"#)
        guard moved.status == 200 else { throw TestClientError("move to \(status): \(moved.text)") }
    }

    func money(_ method: String, _ path: String, json: String, idempotencyKey: String = UUID().uuidString) throws -> TestResponse {
        try server.request(method, path, key: officer, json: json, headers: [("Idempotency-Key", idempotencyKey)])
    }

    static func id(_ response: TestResponse) throws -> String {
        guard (200...201).contains(response.status), let id = response.object["id"] as? String else {
            throw TestClientError("expected a created resource: \(response.status) \(response.text)")
        }
        return id
    }

    static func keyId(_ server: TestServer, _ key: String) throws -> String {
        guard let id = try server.request("GET", "/v1/me", key: key).object["id"] as? String else { throw TestClientError("no key id") }
        return id
    }
}
