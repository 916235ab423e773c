import Foundation
import HTTP1
import KithCore
import SQLiteStore

/// `kith seed --demo`: fills an empty database with a made-up borough through the API's own
/// pipeline (so every row is validated and audited as if a person had made it): the areas, a few
/// hundred groups, four Community Networks with members, priorities and meetings, volunteers and
/// matches in both schemes, Time Credits earned and spent, and a funding round with applications,
/// awards, payments and support for the unsuccessful. The same seed gives the same borough (names,
/// numbers, relationships); ids are fresh each time. No real people: names are drawn from lists.
public struct DemoBorough {
    public struct Summary: Sendable {
        public var counts: [(String, Int)] = []
    }

    let pipeline: Pipeline
    let clock: any WallClock
    var random: SeededRandom
    var admin = ""
    var summary = Summary()

    /// Seeds `application`'s database, which must hold no groups or people yet.
    public static func seed(_ application: KithApplication, seed: UInt64) throws -> Summary {
        let empty = try application.services.database.read { db in
            (try db.scalarInt("SELECT (SELECT count(*) FROM groups) + (SELECT count(*) FROM people) + (SELECT count(*) FROM areas)") ?? 0) == 0
        }
        guard empty else { throw DemoError("the database already holds areas, groups or people; seed an empty one") }
        var demo = DemoBorough(pipeline: application.pipeline, clock: application.services.clock, random: SeededRandom(seed: seed))
        demo.admin = try application.services.database.write { db in
            try APIKeys.create(Transaction(db: db, actor: .system, now: application.services.clock.now()), name: "demo seed", role: .admin,
                               scope: nil, expiresAt: nil, createdBy: nil).secret
        }
        try demo.run()
        // The seed's own key is not left lying around.
        let keyId = try demo.call(.GET, "/v1/me")["id"]?.stringValue ?? ""
        try demo.call(.DELETE, "/v1/keys/\(keyId)", expect: 204)
        return demo.summary
    }

    struct DemoError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - The in-process client

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil, key: String? = nil, csv: String? = nil,
              money: Bool = false, expect: Int? = nil) throws -> JSON {
        var headers = HTTPHeaders([("Host", "demo.seed"), ("Authorization", "Bearer \(key ?? admin)")])
        var bytes: [UInt8] = []
        if let csv {
            headers.add("Content-Type", "text/csv")
            bytes = Array(csv.utf8)
        } else if let body {
            headers.add("Content-Type", "application/json")
            bytes = body.encoded()
        }
        if money { headers.add("Idempotency-Key", Identifier.make("seed", at: clock.now())) }
        let response = pipeline.handle(HTTPRequest(method: method, target: path, headers: headers, body: bytes),
                                       requestId: "demo-seed", remoteAddress: "127.0.0.1")
        let json = (try? JSON.parse(response.body)) ?? .null
        let ok = expect.map { response.status == $0 } ?? (200...299).contains(response.status)
        guard ok else { throw DemoError("\(method.rawValue) \(path) answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))") }
        return json
    }

    func id(_ json: JSON) -> String { json["id"]?.stringValue ?? json["reference"]?.stringValue ?? "" }

    mutating func count(_ name: String, _ n: Int) { summary.counts.append((name, n)) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ p: Double) -> Bool { Double(random.next() % 10_000) / 10_000 < p }
    mutating func between(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }

    func date(daysAgo: Int) -> String { clock.now().adding(seconds: -Int64(daysAgo) * 86_400).date }
    func time(daysAgo: Int) -> String { clock.now().adding(seconds: -Int64(daysAgo) * 86_400).rfc3339 }

    // MARK: - The borough

    static let areas = """
        id,name,kind,parent_id,code
        waltham-forest,Waltham Forest,council,,E09000031
        walthamstow,Walthamstow,area,waltham-forest,
        leyton,Leyton,area,waltham-forest,
        leytonstone,Leytonstone,area,waltham-forest,
        chingford,Chingford,area,waltham-forest,
        higham-hill,Higham Hill,ward,walthamstow,E05013885
        markhouse,Markhouse,ward,walthamstow,E05013891
        lea-bridge,Lea Bridge,ward,leyton,E05013888
        cathall,Cathall,ward,leytonstone,E05013882
        grove-green,Grove Green,ward,leytonstone,E05013886
        chingford-green,Chingford Green,ward,chingford,E05013883
        south-chingford,South Chingford,neighbourhood,chingford,

        """
    static let places = ["walthamstow", "leyton", "leytonstone", "chingford", "higham-hill", "markhouse", "lea-bridge", "cathall", "grove-green",
                         "chingford-green", "south-chingford"]
    static let firstNames = ["Amina", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hassan", "Ines", "Jon", "Kemi", "Luca", "Maya", "Nadia",
                             "Omar", "Priya", "Rosa", "Sam", "Tariq", "Una", "Vik", "Wen", "Yusuf", "Zara"]
    static let lastNames = ["Adeyemi", "Brennan", "Chowdhury", "Dlamini", "Evans", "Farah", "Gomez", "Hughes", "Iqbal", "Jones", "Kowalski",
                            "Lewis", "Mensah", "Nowak", "Okafor", "Patel", "Quinn", "Rahman", "Silva", "Taylor", "Usman", "Varga"]
    static let groupWords = ["Community", "Neighbours", "Friends", "Youth", "Seniors", "Women's", "Men's", "Family", "Tenants", "Arts",
                             "Garden", "Football", "Walking", "Reading", "Sewing", "Cooking", "Music", "Faith", "Refugee", "Carers"]
    static let groupKinds = ["Club", "Circle", "Collective", "Group", "Association", "Network", "Project", "Hub", "Society", "Trust"]
    static let activityFor: [String: [String]] = [
        "Youth": ["youth", "sport"], "Seniors": ["older_people"], "Arts": ["arts_and_culture"], "Garden": ["environment"],
        "Football": ["sport"], "Walking": ["health_and_wellbeing"], "Reading": ["education"], "Cooking": ["food"], "Music": ["arts_and_culture"],
        "Refugee": ["english_language", "advice"], "Carers": ["health_and_wellbeing"], "Faith": ["faith"], "Family": ["family"],
        "Women's": ["health_and_wellbeing"], "Tenants": ["housing"], "Neighbours": ["befriending"],
    ]

    mutating func person() -> String { "\(pick(Self.firstNames)) \(pick(Self.lastNames))" }

    mutating func run() throws {
        try call(.POST, "/v1/areas/import", csv: Self.areas)
        let groups = try seedGroups()
        let networks = try seedNetworks(groups: groups)
        try seedSchemes()
        try seedCredits(groups: groups)
        try seedFunding(groups: groups, networks: networks)
    }

    mutating func seedGroups() throws -> [(id: String, name: String)] {
        var groups: [(id: String, name: String)] = []
        var names = Set<String>()
        while groups.count < 300 {
            let word = pick(Self.groupWords)
            let place = pick(Self.places)
            let placeName = place.split(separator: "-").map { $0.capitalized }.joined(separator: " ")
            let name = "\(placeName) \(word) \(pick(Self.groupKinds))"
            guard names.insert(name).inserted else { continue }
            let activities = Self.activityFor[word] ?? ["other"]
            let beneficiaries = word == "Youth" ? ["young_people"] : word == "Seniors" ? ["older_people"] : word == "Refugee" ? ["refugees", "new_arrivals"]
                : word == "Family" ? ["families"] : ["everyone"]
            let status = chance(0.9) ? "verified" : "pending"
            let body: JSON = ["name": .string(name), "kind": .string(chance(0.2) ? "charity" : "community_group"), "based_in": .string(place),
                              "description": .string("\(word) activities for people in \(placeName)."), "activities": JSON(activities),
                              "beneficiaries": JSON(beneficiaries), "needs": JSON(chance(0.5) ? ["volunteers"] : ["funding"]),
                              "offers": JSON(chance(0.3) ? ["space"] : []), "known_to_council": .bool(chance(0.6)), "status": .string(status),
                              "contact": ["name": .string(person()), "email": .string("hello\(groups.count)@example.org"), "public": .bool(chance(0.5))]]
            groups.append((id: id(try call(.POST, "/v1/groups", body)), name: name))
        }
        count("groups", groups.count)
        return groups
    }

    mutating func seedNetworks(groups: [(id: String, name: String)]) throws -> [String] {
        var networks: [String] = []
        for area in ["leyton", "leytonstone", "chingford", "walthamstow"] {
            let title = area.capitalized
            let network = id(try call(.POST, "/v1/networks", ["name": .string("\(title) Community Network"), "areas": [.string(area)],
                                                              "status": "active", "decision_rule": "steering_group",
                                                              "meeting_pattern": "First Tuesday of the month, 7pm"]))
            let steering = id(try call(.POST, "/v1/networks/\(network)/members", [
                "kind": "local_leader", "name": .string(person()), "role": "steering",
                "contact": ["email": .string("steering.\(area)@example.org")]]))
            try call(.POST, "/v1/networks/\(network)/members", ["kind": "public_service", "name": .string("\(title) Library"),
                                                                 "service_kind": "library"])
            try call(.POST, "/v1/networks/\(network)/members", ["kind": "business", "name": .string("\(title) Café")])
            for (title, adopt) in [("Places for young people to meet", true), ("Welcome for new arrivals", true), ("Cleaner streets", false)] {
                let priority = id(try call(.POST, "/v1/networks/\(network)/priorities", ["title": .string(title)]))
                if adopt {
                    try call(.POST, "/v1/networks/\(network)/priorities/\(priority)/decide", [
                        "outcome": "adopted", "rationale": "Agreed by the steering group.", "participants": [.string(steering)]])
                }
            }
            try call(.POST, "/v1/networks/\(network)/meetings", ["title": "Network meeting", "starts_at": .string(time(daysAgo: 20)),
                                                                  "place_note": .string("\(title) Library")])
            networks.append(network)
        }
        count("networks", networks.count)
        _ = groups
        return networks
    }

    mutating func volunteer(area: String, provider: String? = nil) throws -> String {
        var body: JSON = ["full_name": .string(person()), "roles": ["volunteer"], "area_id": .string(area), "languages": ["en"],
                          "gender": .string(pick(["female", "male"])), "date_of_birth": .string("19\(between(50...99))-0\(between(1...9))-1\(between(0...9))"),
                          "consents": [["purpose": "store_details", "given": true, "method": "written"]]]
        if let provider, case .object(var pairs) = body { pairs.append(("provider_id", .string(provider))); body = .object(pairs) }
        let id = id(try call(.POST, "/v1/people", body))
        let issued = date(daysAgo: between(30...900))
        for check: JSON in [["kind": "dbs", "detail": "enhanced", "status": "clear", "issued_on": .string(issued)],
                            ["kind": "reference", "detail": "employer", "status": "clear", "issued_on": .string(issued)],
                            ["kind": "reference", "detail": "friend", "status": "clear", "issued_on": .string(issued)],
                            ["kind": "training", "detail": "safeguarding", "status": "clear", "issued_on": .string(issued)],
                            ["kind": "training", "detail": "befriending_induction", "status": "clear", "issued_on": .string(issued)]] {
            try call(.POST, "/v1/people/\(id)/checks", check)
        }
        return id
    }

    mutating func seedSchemes() throws {
        try call(.PATCH, "/v1/credit-settings", ["contact_credits": ["fan", "befriending"]])
        var matches = 0
        // FAN buddies.
        for _ in 0..<10 {
            let buddy = try volunteer(area: pick(["leyton", "walthamstow", "leytonstone"]))
            try call(.PUT, "/v1/people/\(buddy)/offers/fan", ["capacity": 2, "modes": ["meet_up"], "availability": ["sat_am", "wed_eve"]])
        }
        for i in 0..<12 {
            let referral = id(try call(.POST, "/v1/referrals", [
                "scheme": "fan", "source": .string(pick(["self", "group", "partner"])),
                "person": ["full_name": .string(person()), "area_id": .string(pick(["leyton", "walthamstow"])), "languages": .array([.string(pick(["ar", "pl", "ti", "ro"]))]),
                           "consents": [["purpose": "store_details", "given": true, "method": "verbal"]]],
                "details": ["english": .string(pick(["well", "not_well", "not_at_all"])), "goals": ["english_practice", "social"]]]))
            guard i < 8 else { continue }   // the rest wait
            if let best = try call(.GET, "/v1/referrals/\(referral)/suggestions")["data"]?.arrayValue?.first?["volunteer_id"]?.stringValue {
                matches += try activate(referral: referral, volunteer: best, contacts: between(1...4))
            }
        }
        // Befriending.
        let provider = id(try call(.POST, "/v1/providers", ["name": "Chingford Befrienders", "scheme": "befriending", "area_id": "chingford"]))
        for _ in 0..<6 {
            let befriender = try volunteer(area: "chingford", provider: provider)
            try call(.PUT, "/v1/people/\(befriender)/offers/befriending", ["capacity": 2, "modes": ["visit", "phone"], "provider_id": .string(provider)])
        }
        for i in 0..<8 {
            let referral = id(try call(.POST, "/v1/referrals", [
                "scheme": "befriending", "source": .string(pick(["gp", "social_care", "family"])), "provider_id": .string(provider),
                "person": ["full_name": .string(person()), "area_id": .string(pick(["chingford", "chingford-green", "south-chingford"])),
                           "date_of_birth": .string("19\(between(30...45))-05-01"), "consents": [["purpose": "store_details", "given": true, "method": "verbal"]]],
                "preferences": ["modes": ["visit"]], "details": ["living_situation": .string(pick(["alone", "with_family", "care_home"]))]]))
            guard i < 6 else { continue }
            if let best = try call(.GET, "/v1/referrals/\(referral)/suggestions")["data"]?.arrayValue?.first?["volunteer_id"]?.stringValue {
                matches += try activate(referral: referral, volunteer: best, contacts: between(2...5))
            }
        }
        try call(.POST, "/v1/group-sessions", ["provider_id": .string(provider), "title": "Winter tea party", "held_at": .string(time(daysAgo: 12)),
                                               "attendance": ["volunteers": ["25_34": 6, "18_24": 3], "older_people": ["85_plus": 8, "75_84": 7]]])
        count("active matches", matches)
    }

    /// Proposes, introduces and activates a match and logs its contacts (which earn credits).
    mutating func activate(referral: String, volunteer: String, contacts: Int) throws -> Int {
        let match = id(try call(.POST, "/v1/matches", ["referral_id": .string(referral), "volunteer_id": .string(volunteer)]))
        try call(.POST, "/v1/matches/\(match)/introduce")
        try call(.POST, "/v1/matches/\(match)/activate")
        for n in 0..<contacts {
            try call(.POST, "/v1/matches/\(match)/contacts", ["happened_at": .string(time(daysAgo: 1 + n * 7)), "minutes": .int(between(2...4) * 30),
                                                               "kind": .string(pick(["visit", "meet_up", "informal_learning", "call"]))])
        }
        return 1
    }

    mutating func seedCredits(groups: [(id: String, name: String)]) throws {
        let earning = id(try call(.POST, "/v1/credit-organisations", ["name": .string(groups[0].name), "earns": true, "group_id": .string(groups[0].id),
                                                                       "area_id": "walthamstow"]))
        let theatre = id(try call(.POST, "/v1/credit-organisations", ["name": "Walthamstow Assembly Hall", "venue": true, "area_id": "walthamstow"]))
        let offer = id(try call(.POST, "/v1/credit-offers", ["venue_id": .string(theatre), "title": "Winter concert", "category": "theatre",
                                                             "credits": 2, "capacity": 25, "valid_from": .string(date(daysAgo: 30)),
                                                             "valid_to": .string(date(daysAgo: -60))]))
        var booked = 0
        for _ in 0..<15 {
            let person = try volunteer(area: pick(["walthamstow", "higham-hill", "markhouse"]))
            for d in 0..<between(1...4) {
                try call(.POST, "/v1/volunteering", ["person_id": .string(person), "organisation_id": .string(earning), "on_date": .string(date(daysAgo: 3 + d * 5)),
                                                     "hours": .double(Double(between(2...8)) / 2), "activity": .string(pick(["litter_picking", "events", "gardening"]))],
                         money: true)
            }
            if chance(0.6), try call(.POST, "/v1/credit-offers/\(offer)/bookings", ["person_id": .string(person)], money: true, expect: nil)["id"] != nil {
                booked += 1
            }
        }
        count("credit bookings", booked)
    }

    mutating func seedFunding(groups: [(id: String, name: String)], networks: [String]) throws {
        let funder = id(try call(.POST, "/v1/funders", ["name": "Waltham Forest Council", "organisation_identifier": "GB-LAE-WFT"]))
        let programme = id(try call(.POST, "/v1/programmes", ["funder_id": .string(funder), "name": "Community Bank"]))
        let round = id(try call(.POST, "/v1/rounds", [
            "programme_id": .string(programme), "name": "Community Bank 2026/27", "opens_on": .string(date(daysAgo: 40)), "closes_on": .string(date(daysAgo: -20)),
            "budget_pence": 2_500_000, "min_grant_pence": 50_000, "max_grant_pence": 500_000,
            "eligibility": ["areas": ["waltham-forest"], "open_to_all": true],
            "criteria": [["id": "need", "name": "Need in the area", "weight": 2], ["id": "reach", "name": "People reached", "weight": 1]],
            "network_ids": .array(networks.map { .string($0) }), "in_kind_rate_pence": 1500]))
        let other = id(try call(.POST, "/v1/other-funders", ["name": "The National Lottery Community Fund", "funds": "Community projects (Awards for All)",
                                                             "where": "England", "url": "https://www.tnlcommunityfund.org.uk"]))
        var awarded = 0
        for (n, group) in groups.prefix(40).enumerated() where n % 3 == 0 {
            guard let key = try? groupKey(group.id) else { continue }
            guard let application = try? id(call(.POST, "/v1/applications", [
                "round_id": .string(round), "title": .string("\(group.name): winter programme"), "summary": "Weekly sessions through the winter.",
                "amount_requested_pence": .int(between(10...45) * 10_000), "open_to_all": true, "beneficiaries": ["everyone"],
                "starts_on": .string(date(daysAgo: -30)), "ends_on": .string(date(daysAgo: -300))], key: key)) else { continue }
            let status = try call(.POST, "/v1/applications/\(application)/submit", key: key)["status"]?.stringValue
            guard status == "eligible" else { continue }
            try call(.POST, "/v1/applications/\(application)/transitions", ["to": "under_assessment", "reason": "Round closed for assessment"])
            if chance(0.6) {
                try call(.POST, "/v1/applications/\(application)/transitions", ["to": "recommended", "reason": "Panel recommendation"])
                let requested = try call(.GET, "/v1/applications/\(application)")["amount_requested_pence"]?.intValue ?? 100_000
                if let grant = try? call(.POST, "/v1/applications/\(application)/award", ["amount_pence": .int(requested)], money: true) {
                    awarded += 1
                    try call(.POST, "/v1/grants/\(id(grant))/payments", ["amount_pence": .int(requested / 2), "paid_on": .string(date(daysAgo: 2)),
                                                                          "reference": .string("DEMO-\(awarded)")], money: true)
                }
            } else {
                try call(.POST, "/v1/applications/\(application)/transitions", ["to": "declined", "reason": "Oversubscribed round"])
                if chance(0.5) {
                    try call(.POST, "/v1/applications/\(application)/support", ["feedback": "A good idea: show the numbers you will reach.",
                                                                                "signposted": [.string(other)]])
                }
            }
        }
        count("grants awarded", awarded)
    }

    /// A key for a group's own use, made directly as a council officer would hand one over.
    func groupKey(_ groupId: String) throws -> String {
        try call(.POST, "/v1/keys", ["name": .string("demo \(groupId)"), "role": "group", "scope": .string("group:\(groupId)")])["key"]?.stringValue ?? ""
    }
}
