import Areas
import Groups
import KithCore
import Networks
import SQLiteStore

/// Funders, programmes, rounds and their assessors.
enum SetupRoutes {
    // MARK: - Funders and programmes

    @Sendable static func createFunder(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 200)
        let identifier = input.string("organisation_identifier", required: true, maxLength: 100)
        if let identifier, identifier.range(of: #"^[A-Z]{2,3}-[A-Z0-9]{2,10}-[A-Za-z0-9._-]+$"#, options: .regularExpression) == nil {
            input.fail("organisation_identifier", "must be an org-id such as GB-LAE-WFT or GB-CHC-1123456")
        }
        try input.finish()
        guard let name, let identifier else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let id = Identifier.make("fdr", at: tx.now)
            try tx.db.run("INSERT INTO funders(id, name, organisation_identifier, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                          [id, name, identifier, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "funder", id, changes: ["name", "organisation_identifier"])
            return try funder(tx.db, id: id) ?? .null
        }
        return .created(json, location: "/v1/funders/\(json["id"]?.stringValue ?? "")", version: 1)
    }

    @Sendable static func showFunder(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let json = try context.read({ db in try funder(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No funder \(request.parameter("id")).")
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    @Sendable static func showProgramme(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let json = try context.read({ db in try programme(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No programme \(request.parameter("id")).")
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    static func funder(_ db: Database, id: String) throws -> JSON? {
        try db.queryOne("SELECT id, name, organisation_identifier, created_at, updated_at, version FROM funders WHERE id = ?", [id], funderJSON)
    }

    static func funderJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "name": .string(row.string(1)), "organisation_identifier": .string(row.string(2)),
         "created_at": .string(row.string(3)), "updated_at": .string(row.string(4)), "version": .int(row.int(5))]
    }

    @Sendable static func listFunders(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "funders", keyLength: 2)
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT id, name, organisation_identifier, created_at, updated_at, version FROM funders
                WHERE (?1 IS NULL OR (name, id) > (?1, ?2)) AND (?4 IS NULL OR updated_at >= ?4) ORDER BY name, id LIMIT ?3
                """, [after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], funderJSON)
        }
        let (items, next) = page.page(rows) { [$0["name"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func createProgramme(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let funderId = input.string("funder_id", required: true, maxLength: 60)
        let name = input.string("name", required: true, maxLength: 200)
        let description = input.text("description", maxLength: 5000) ?? ""
        try input.finish()
        guard let funderId, let name else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            guard try funder(tx.db, id: funderId) != nil else { throw Problem.invalid("funder_id", "is not a funder") }
            let id = Identifier.make("prg", at: tx.now)
            try tx.db.run("INSERT INTO programmes(id, funder_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                          [id, funderId, name, description, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "programme", id, changes: ["funder_id", "name", "description"])
            return try programme(tx.db, id: id) ?? .null
        }
        return .created(json, location: "/v1/programmes/\(json["id"]?.stringValue ?? "")", version: 1)
    }

    static func programme(_ db: Database, id: String) throws -> JSON? {
        try db.queryOne("SELECT id, funder_id, name, description, created_at, updated_at, version FROM programmes WHERE id = ?", [id],
                        programmeJSON)
    }

    static func programmeJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "funder_id": .string(row.string(1)), "name": .string(row.string(2)),
         "description": .string(row.string(3)), "created_at": .string(row.string(4)), "updated_at": .string(row.string(5)),
         "version": .int(row.int(6))]
    }

    @Sendable static func listProgrammes(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "programmes", filters: ["funder"], keyLength: 2)
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT id, funder_id, name, description, created_at, updated_at, version FROM programmes
                WHERE (?1 IS NULL OR funder_id = ?1) AND (?2 IS NULL OR (name, id) > (?2, ?3)) AND (?5 IS NULL OR updated_at >= ?5)
                ORDER BY name, id LIMIT ?4
                """, [request.query.string("funder"), after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], programmeJSON)
        }
        let (items, next) = page.page(rows) { [$0["name"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    // MARK: - Rounds

    struct RoundDraft {
        var programmeId: String?
        var name: String?
        var opensOn: String?
        var closesOn: String?
        var budgetPence: Int?
        var minGrantPence: Int?
        var maxGrantPence: Int?
        var eligibility: Round.Eligibility?
        var criteria: [Round.Criterion]?
        var criteriaFromNetwork: String?
        var networkIds: [String]?
        var inKindRatePence: Int?

        static func read(_ input: Input, creating: Bool) -> RoundDraft {
            var d = RoundDraft()
            if creating { d.programmeId = input.string("programme_id", required: true, maxLength: 60) }
            d.name = input.string("name", required: creating, maxLength: 200)
            d.opensOn = input.date("opens_on", required: creating)
            d.closesOn = input.date("closes_on", required: creating)
            d.budgetPence = input.int("budget_pence", required: creating, in: 1...1_000_000_000_00)
            d.minGrantPence = input.int("min_grant_pence", required: creating, in: 1...1_000_000_000_00)
            d.maxGrantPence = input.int("max_grant_pence", required: creating, in: 1...1_000_000_000_00)
            if let e = input.object("eligibility") {
                var rules = Round.Eligibility()
                rules.areas = e.strings("areas", maxCount: 50, maxLength: 60) ?? []
                rules.kinds = e.choices("kinds", from: Vocabulary.values(Vocabulary.kinds)) ?? []
                rules.beneficiaries = e.choices("beneficiaries", from: Vocabulary.values(Vocabulary.beneficiaries)) ?? []
                rules.priorities = e.strings("priorities", maxCount: 50, maxLength: 60) ?? []
                rules.openToAll = e.bool("open_to_all") ?? false
                d.eligibility = rules
            }
            d.criteria = input.objects("criteria", maxCount: 20) { c -> Round.Criterion? in
                let id = c.string("id", required: true, maxLength: 60)
                let name = c.string("name", required: true, maxLength: 200)
                let weight = c.int("weight", in: 1...100) ?? 1
                guard let id, let name else { return nil }
                return Round.Criterion(id: id, name: name, weight: weight)
            }
            d.criteriaFromNetwork = input.string("criteria_from_network", maxLength: 60)
            if d.criteria != nil && d.criteriaFromNetwork != nil { input.fail("criteria_from_network", "give criteria or criteria_from_network, not both") }
            if let criteria = d.criteria, Set(criteria.map(\.id)).count != criteria.count { input.fail("criteria", "ids must be distinct") }
            if creating && d.criteria == nil && d.criteriaFromNetwork == nil { input.fail("criteria", "is required (or criteria_from_network)") }
            d.networkIds = input.strings("network_ids", maxCount: 20, maxLength: 60)
            d.inKindRatePence = input.int("in_kind_rate_pence", in: 0...100_000)
            if let from = d.opensOn, let to = d.closesOn, from > to { input.fail("closes_on", "must not be before opens_on") }
            return d
        }

        /// Fills in the criteria from a network's adopted priorities, and checks references.
        mutating func resolve(_ db: Database, principal: Principal?, currentNetworks: [String] = []) throws {
            if let network = criteriaFromNetwork {
                if networkIds == nil { networkIds = currentNetworks }
                let priorities = try NetworkDirectory.adoptedPriorities(db, networkId: network)
                guard !priorities.isEmpty else { throw Problem.invalid("criteria_from_network", "is not a network with adopted priorities") }
                criteria = priorities.map { Round.Criterion(id: $0.id, name: $0.title, weight: 1) }
                if !(networkIds ?? []).contains(network) { networkIds = (networkIds ?? []) + [network] }
            }
            for (i, network) in (networkIds ?? []).enumerated() where try !NetworkDirectory.exists(db, id: network) {
                throw Problem.invalid("network_ids[\(i)]", "is not a network")
            }
            for (i, area) in (eligibility?.areas ?? []).enumerated() where try Areas.find(db, id: area) == nil {
                throw Problem.invalid("eligibility.areas[\(i)]", "is not an area")
            }
            for (i, priority) in (eligibility?.priorities ?? []).enumerated() where try NetworkDirectory.priority(db, id: priority)?.adopted != true {
                throw Problem.invalid("eligibility.priorities[\(i)]", "is not an adopted network priority")
            }
        }
    }

    @Sendable static func createRound(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        var draft = RoundDraft.read(input, creating: true)
        try input.finish()
        guard let programmeId = draft.programmeId, let name = draft.name, let opensOn = draft.opensOn, let closesOn = draft.closesOn,
              let budget = draft.budgetPence, let minGrant = draft.minGrantPence, let maxGrant = draft.maxGrantPence else {
            throw Problem.internalError()
        }
        guard minGrant <= maxGrant, maxGrant <= budget else {
            throw Problem.invalid("max_grant_pence", "must be at least min_grant_pence and at most budget_pence")
        }
        let round = try context.write { tx -> Round in
            guard try programme(tx.db, id: programmeId) != nil else { throw Problem.invalid("programme_id", "is not a programme") }
            try draft.resolve(tx.db, principal: context.principal)
            let id = Identifier.make("rnd", at: tx.now)
            try tx.db.run("""
                INSERT INTO rounds(id, programme_id, name, opens_on, closes_on, budget_pence, min_grant_pence, max_grant_pence, eligibility,
                    criteria, network_ids, in_kind_rate_pence, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, programmeId, name, opensOn, closesOn, budget, minGrant, maxGrant, (draft.eligibility ?? Round.Eligibility()).json.encodedString(),
                      JSON.array((draft.criteria ?? []).map(\.json)).encodedString(), JSON(draft.networkIds ?? []).encodedString(),
                      draft.inKindRatePence ?? 0, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "round", id, changes: ["name", "dates", "budget_pence", "grant_limits", "eligibility", "criteria", "network_ids"])
            guard let round = try Round.find(tx.db, id: id) else { throw Problem.internalError() }
            return round
        }
        return .created(round.json(committedPence: 0, today: context.now.date), location: "/v1/rounds/\(round.id)", version: round.version)
    }

    @Sendable static func updateRound(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        var draft = RoundDraft.read(input, creating: false)
        try input.finish()
        let (round, committed) = try context.write { tx -> (Round, Int) in
            guard let current = try Round.find(tx.db, id: request.parameter("id")) else { throw Problem.notFound("No round \(request.parameter("id")).") }
            try ETag.check(request, currentVersion: current.version)
            try draft.resolve(tx.db, principal: context.principal, currentNetworks: current.networkIds)
            var next = current
            if let v = draft.name { next.name = v }
            if let v = draft.opensOn { next.opensOn = v }
            if let v = draft.closesOn { next.closesOn = v }
            if let v = draft.budgetPence { next.budgetPence = v }
            if let v = draft.minGrantPence { next.minGrantPence = v }
            if let v = draft.maxGrantPence { next.maxGrantPence = v }
            if let v = draft.eligibility { next.eligibility = v }
            if let v = draft.criteria { next.criteria = v }
            if let v = draft.networkIds { next.networkIds = v }
            if let v = draft.inKindRatePence { next.inKindRatePence = v }
            guard next.opensOn <= next.closesOn else { throw Problem.invalid("closes_on", "must not be before opens_on") }
            guard next.minGrantPence <= next.maxGrantPence, next.maxGrantPence <= next.budgetPence else {
                throw Problem.invalid("max_grant_pence", "must be at least min_grant_pence and at most budget_pence")
            }
            let committed = try Round.committedPence(tx.db, roundId: current.id)
            if next.budgetPence < committed { throw Problem.invalid("budget_pence", "cannot be below the \(committed) already awarded") }
            let scored = try tx.db.scalarInt("SELECT count(*) FROM assessment_scores s JOIN applications a ON a.id = s.application_id WHERE a.round_id = ?",
                                             [current.id]) ?? 0
            if next.criteria != current.criteria && scored > 0 { throw Problem.conflict("Assessors have scored against these criteria; they can no longer change.") }
            let changes = [("name", next.name != current.name), ("opens_on", next.opensOn != current.opensOn),
                           ("closes_on", next.closesOn != current.closesOn), ("budget_pence", next.budgetPence != current.budgetPence),
                           ("min_grant_pence", next.minGrantPence != current.minGrantPence),
                           ("max_grant_pence", next.maxGrantPence != current.maxGrantPence),
                           ("eligibility", next.eligibility != current.eligibility), ("criteria", next.criteria != current.criteria),
                           ("network_ids", next.networkIds != current.networkIds),
                           ("in_kind_rate_pence", next.inKindRatePence != current.inKindRatePence)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return (current, committed) }
            try tx.db.run("""
                UPDATE rounds SET name = ?, opens_on = ?, closes_on = ?, budget_pence = ?, min_grant_pence = ?, max_grant_pence = ?,
                    eligibility = ?, criteria = ?, network_ids = ?, in_kind_rate_pence = ?, updated_at = ?, version = version + 1 WHERE id = ?
                """, [next.name, next.opensOn, next.closesOn, next.budgetPence, next.minGrantPence, next.maxGrantPence,
                      next.eligibility.json.encodedString(), JSON.array(next.criteria.map(\.json)).encodedString(),
                      JSON(next.networkIds).encodedString(), next.inKindRatePence, tx.now.rfc3339, current.id])
            try tx.audit("update", "round", current.id, changes: changes)
            guard let updated = try Round.find(tx.db, id: current.id) else { throw Problem.internalError() }
            return (updated, committed)
        }
        return .resource(round.json(committedPence: committed, today: context.now.date), version: round.version)
    }

    /// Rounds are public: groups need to know what they can apply for.
    @Sendable static func listRounds(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "rounds", filters: ["programme", "open"], keyLength: 2)
        let open = try request.query.bool("open")
        let after = try page.afterStrings()
        let today = context.now.date
        let rows = try context.read { db -> [JSON] in
            try db.query("""
                SELECT \(Round.columns) FROM rounds
                WHERE (?1 IS NULL OR programme_id = ?1) AND (?2 IS NULL OR (opens_on <= ?3 AND ?3 <= closes_on) = ?2)
                  AND (?4 IS NULL OR (opens_on, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
                ORDER BY opens_on, id LIMIT ?6
                """, [request.query.string("programme"), open, today, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339],
                Round.init(row:)).map { $0.json(committedPence: try Round.committedPence(db, roundId: $0.id), today: today) }
        }
        let (items, next) = page.page(rows) { [$0["opens_on"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func showRound(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let (round, committed) = try context.read { db -> (Round, Int) in
            guard let round = try Round.find(db, id: request.parameter("id")) else { throw Problem.notFound("No round \(request.parameter("id")).") }
            return (round, try Round.committedPence(db, roundId: round.id))
        }
        return .resource(round.json(committedPence: committed, today: context.now.date), version: round.version)
    }

    // MARK: - Assessors

    @Sendable static func addAssessor(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let keyId = input.string("key_id", required: true, maxLength: 60)
        let name = input.string("name", required: true, maxLength: 200)
        let email = input.email("email", required: true)
        try input.finish()
        guard let keyId, let name, let email else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            guard let round = try Round.find(tx.db, id: request.parameter("id")) else { throw Problem.notFound("No round \(request.parameter("id")).") }
            guard let key = try APIKeys.find(tx.db, id: keyId), key.revokedAt == nil else {
                throw Problem.invalid("key_id", "is not an active API key")
            }
            guard [Role.admin, .officer, .facilitator, .viewer].contains(key.role) else {
                throw Problem.invalid("key_id", "must be a key of an admin, officer, facilitator or viewer (panel member)")
            }
            if try tx.db.scalarInt("SELECT count(*) FROM round_assessors WHERE round_id = ? AND key_id = ?", [round.id, keyId]) ?? 0 > 0 {
                throw Problem.conflict("That key already assesses this round.")
            }
            let id = Identifier.make("asr", at: tx.now)
            try tx.db.run("INSERT INTO round_assessors(id, round_id, key_id, name, email, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                          [id, round.id, keyId, name, email.lowercased(), tx.now.rfc3339])
            try tx.audit("create", "round_assessor", id, changes: ["key_id", "name", "email"])
            for application in try tx.db.query("SELECT \(Application.columns) FROM applications WHERE round_id = ? AND status <> 'draft'",
                                               [round.id], Application.init(row:)) {
                try Conflicts.detectAll(tx, application: application)
            }
            return ["id": .string(id), "round_id": .string(round.id), "key_id": .string(keyId), "name": .string(name),
                    "email": .string(email.lowercased()), "created_at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }

    @Sendable static func listAssessors(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let rows = try context.read { db -> [JSON] in
            guard try Round.find(db, id: request.parameter("id")) != nil else { throw Problem.notFound("No round \(request.parameter("id")).") }
            return try db.query("SELECT id, round_id, key_id, name, email, created_at FROM round_assessors WHERE round_id = ? ORDER BY name, id",
                                [request.parameter("id")]) {
                ["id": .string($0.string(0)), "round_id": .string($0.string(1)), "key_id": .string($0.string(2)), "name": .string($0.string(3)),
                 "email": .string($0.string(4)), "created_at": .string($0.string(5))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }
}
