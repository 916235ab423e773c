import Foundation
import KithCore
import KithTestSupport
import SQLiteStore

/// Peterborough's scheme: the Orton Litter Pickers (a group in the directory) issue credits, the
/// New Theatre takes them; each with its own key. The clock starts at 2026-12-01T09:00:00Z.
struct CreditsFixture {
    let server: TestServer
    let groups: GroupsFixture
    var pickers = ""          // credit organisation: Orton Litter Pickers (earns)
    var theatre = ""          // credit organisation: New Theatre (venue)
    var pickersKey = ""       // the group's own key
    var theatreKey = ""       // the venue's key
    var officer = ""

    static let start = Timestamp(rfc3339: "2026-12-01T09:00:00Z")!

    init(_ server: TestServer) throws {
        self.server = server
        groups = try GroupsFixture(server)
        server.clock.set(Self.start)
        officer = try server.makeKey(.officer, name: "Peterborough officer")
        pickers = try id(server.request("POST", "/v1/credit-organisations", key: server.adminKey, json: #"""
            {"name": "Orton Litter Pickers", "earns": true, "group_id": "\#(groups["Orton Litter Pickers"])", "area_id": "orton-waterville"}
            """#))
        theatre = try id(server.request("POST", "/v1/credit-organisations", key: server.adminKey,
                                        json: #"{"name": "New Theatre", "venue": true, "area_id": "peterborough"}"#))
        pickersKey = try server.makeKey(.group, scope: Scope("group:\(groups["Orton Litter Pickers"])"), name: "Orton Litter Pickers")
        theatreKey = try server.makeKey(.venue, scope: Scope("organisation:\(theatre)"), name: "New Theatre box office")
    }

    func id(_ response: TestResponse) throws -> String {
        guard (200...201).contains(response.status), let id = response.object["id"] as? String else {
            throw TestClientError("expected a created resource: \(response.status) \(response.text)")
        }
        return id
    }

    /// A request with a fresh Idempotency-Key (ledger writes need one).
    @discardableResult
    func write(_ method: String, _ path: String, key: String? = nil, json: String? = nil, idempotencyKey: String = UUID().uuidString)
        throws -> TestResponse {
        try server.request(method, path, key: key ?? server.adminKey, json: json, headers: [("Idempotency-Key", idempotencyKey)])
    }

    func volunteer(_ name: String, area: String = "ortons", dateOfBirth: String = "1990-05-01") throws -> String {
        try id(server.request("POST", "/v1/people", key: server.adminKey, json: #"""
            {"full_name": "\#(name)", "roles": ["volunteer"], "area_id": "\#(area)", "date_of_birth": "\#(dateOfBirth)",
             "consents": [{"purpose": "store_details", "given": true, "method": "written"}]}
            """#))
    }

    /// Hours recorded (and so approved) by the Litter Pickers; returns the record.
    @discardableResult
    func hours(_ person: String, _ hours: Double, on date: String = "2026-11-30", activity: String = "litter_picking") throws -> [String: Any] {
        let response = try write("POST", "/v1/volunteering", key: pickersKey, json: #"""
            {"person_id": "\#(person)", "organisation_id": "\#(pickers)", "on_date": "\#(date)", "hours": \#(hours), "activity": "\#(activity)"}
            """#)
        guard response.status == 201 else { throw TestClientError("hours: \(response.status) \(response.text)") }
        return response.object
    }

    func offer(title: String = "New Theatre: Aladdin", credits: Int = 2, capacity: Int? = 25) throws -> String {
        try id(server.request("POST", "/v1/credit-offers", key: theatreKey, json: #"""
            {"venue_id": "\#(theatre)", "title": "\#(title)", "category": "theatre", "place": "Broadway, Peterborough",
             "credits": \#(credits)\#(capacity.map { ", \"capacity\": \($0)" } ?? ""), "valid_from": "2026-11-01", "valid_to": "2027-01-31"}
            """#))
    }

    func accountId(person: String) throws -> String {
        let response = try server.request("GET", "/v1/credit-accounts?person_id=\(person)", key: server.adminKey)
        guard let id = response.array.first?["id"] as? String else { throw TestClientError("no account for \(person): \(response.text)") }
        return id
    }

    func balance(person: String) throws -> Int {
        let response = try server.request("GET", "/v1/credit-accounts?person_id=\(person)", key: server.adminKey)
        return response.array.first?["balance"] as? Int ?? 0
    }

    /// The ledger's invariants, read straight from the database: every account's kept balance is
    /// the sum of its movements, no balance but the issuing account's is negative, and all
    /// balances sum to zero.
    func ledgerInvariants() throws -> (mismatched: Int, negative: Int, total: Int) {
        try server.app.services.database.read { db in
            let mismatched = try db.scalarInt("""
                SELECT count(*) FROM credit_accounts a
                WHERE a.balance <> coalesce((SELECT sum(credits) FROM credit_movements WHERE to_account = a.id), 0)
                                 - coalesce((SELECT sum(credits) FROM credit_movements WHERE from_account = a.id), 0)
                """) ?? -1
            let negative = try db.scalarInt("SELECT count(*) FROM credit_accounts WHERE kind <> 'issuing' AND balance < 0") ?? -1
            let total = try db.scalarInt("SELECT coalesce(sum(balance), 0) FROM credit_accounts") ?? -1
            return (mismatched, negative, total)
        }
    }
}
