import Areas
import Groups
import KithCore
import People
import SQLiteStore

/// Outcome measures, FAN welcome packs, befriending group sessions and onward referrals.
enum CareRoutes {
    // MARK: - Outcomes

    /// Score ranges: the 3-item UCLA loneliness scale (3-9, higher is lonelier), the ONS direct
    /// question (1 never … 5 often/always), English confidence self-rated 1-5.
    static let ranges: [String: ClosedRange<Int>] = ["ucla3": 3...9, "ons_loneliness": 1...5, "english_confidence": 1...5]

    @Sendable static func recordOutcome(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let scheme = input.choice("scheme", from: Scheme.ids, required: true)
        let measure = input.choice("measure", from: ranges.keys.sorted(), required: true)
        let stage = input.choice("stage", from: ["start", "review", "end"], required: true)
        let score = input.int("score", required: true, in: 0...100)
        let measuredOn = input.date("measured_on") ?? context.now.date
        let matchId = input.string("match_id", maxLength: 60)
        if let measure, let score, let range = ranges[measure], !range.contains(score) {
            input.fail("score", "must be from \(range.lowerBound) to \(range.upperBound) for \(measure)")
        }
        if measure == "english_confidence" && scheme == "befriending" { input.fail("measure", "english_confidence is a FAN measure") }
        try input.finish()
        guard let scheme, let measure, let stage, let score else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let person = try MatchAccess.person(tx.db, id: request.parameter("id"), for: context.principal, changing: true)
            if let matchId {
                guard let match = try MatchStore.findMatch(tx.db, id: matchId), match.personId == person.id else {
                    throw Problem.invalid("match_id", "is not a match of this person")
                }
            }
            let id = Identifier.make("out", at: tx.now)
            try tx.db.run("""
                INSERT INTO outcomes(id, person_id, scheme, match_id, measure, stage, score, measured_on, recorded_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, person.id, scheme, matchId, measure, stage, score, measuredOn, context.principal?.keyId, tx.now.rfc3339])
            if stage == "review", let matchId, var match = try MatchStore.findMatch(tx.db, id: matchId), match.status == "active",
               let settings = try MatchStore.scheme(tx.db, id: match.scheme) {
                match.nextReview = tx.now.adding(seconds: Int64(settings.reviewIntervalDays) * 86_400).date
                match.updatedAt = tx.now.rfc3339
                match.version += 1
                try MatchStore.saveMatch(tx, match, isNew: false)
            }
            try tx.audit("create", "outcome", id, changes: ["measure", "stage", "score"])
            return ["id": .string(id), "person_id": .string(person.id), "scheme": .string(scheme), "match_id": JSON(matchId),
                    "measure": .string(measure), "stage": .string(stage), "score": .int(score), "measured_on": .string(measuredOn)]
        }
        return .json(json, status: 201)
    }

    @Sendable static func listOutcomes(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let rows = try context.read { db -> [JSON] in
            let person = try MatchAccess.person(db, id: request.parameter("id"), for: context.principal)
            return try db.query("""
                SELECT id, scheme, match_id, measure, stage, score, measured_on FROM outcomes WHERE person_id = ? ORDER BY measured_on, id
                """, [person.id]) {
                ["id": .string($0.string(0)), "person_id": .string(person.id), "scheme": .string($0.string(1)), "match_id": JSON($0.optionalString(2)),
                 "measure": .string($0.string(3)), "stage": .string($0.string(4)), "score": .int($0.int(5)), "measured_on": .string($0.string(6))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }

    // MARK: - FAN welcome packs

    /// `POST /v1/people/{id}/welcome-pack`: local groups for a new arrival, from the directory:
    /// English classes and groups that welcome new arrivals and refugees, in their area.
    @Sendable static func buildWelcomePack(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.optionalObject(from: request)
        let areaId = input.string("area_id", maxLength: 60)
        let sent = input.bool("sent") ?? false
        try input.finish()
        let json = try context.write { tx -> JSON in
            let person = try MatchAccess.person(tx.db, id: request.parameter("id"), for: context.principal, changing: true)
            guard person.roles.contains("new_arrival") else { throw Problem.conflict("Welcome packs are for new arrivals.") }
            guard let area = areaId ?? person.areaId else { throw Problem.invalid("area_id", "is required: the person has no area") }
            guard try Areas.find(tx.db, id: area) != nil else { throw Problem.invalid("area_id", "is not an area") }
            let groups = try Directory.find(tx.db, inArea: area, activities: ["english_language", "advice"],
                                            beneficiaries: ["new_arrivals", "refugees"], limit: 25)
            let items: [JSON] = groups.map { group in
                var why: [String] = []
                if group.activities.contains("english_language") { why.append("English classes or practice") }
                if group.activities.contains("advice") { why.append("advice") }
                if group.beneficiaries.contains("new_arrivals") || group.beneficiaries.contains("refugees") { why.append("welcomes new arrivals") }
                return ["group_id": .string(group.id), "name": .string(group.name), "why": JSON(why), "website": JSON(group.website),
                        "meeting_pattern": JSON(group.meetingPattern)]
            }
            let id = Identifier.make("wpk", at: tx.now)
            try tx.db.run("INSERT INTO welcome_packs(id, person_id, area_id, items, sent_on, sent_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [id, person.id, area, JSON.array(items).encodedString(), sent ? tx.now.date : nil,
                           sent ? context.principal?.keyId : nil, tx.now.rfc3339])
            try tx.audit("create", "welcome_pack", id, changes: ["items", "sent_on"])
            return ["id": .string(id), "person_id": .string(person.id), "area_id": .string(area), "items": .array(items),
                    "sent_on": sent ? .string(tx.now.date) : .null, "created_at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }

    // MARK: - Befriending group sessions

    /// `POST /v1/group-sessions`: e.g. a monthly evening party at a care home, with attendance by
    /// age band for volunteers and older people, so contact across generations is counted.
    @Sendable static func recordSession(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let providerId = input.string("provider_id", required: true, maxLength: 60)
        let title = input.string("title", required: true, maxLength: 200)
        let heldAt = input.timestamp("held_at", required: true)
        let place = input.string("place", maxLength: 300)
        func bands(_ key: String, in object: Input?) -> [(String, JSON)] {
            guard let object else { return [] }
            return Person.ageBands.compactMap { band in object.int(band, in: 0...10_000).map { (band, JSON.int($0)) } }
        }
        let attendance = input.object("attendance", required: true)
        let volunteers = bands("volunteers", in: attendance?.object("volunteers"))
        let older = bands("older_people", in: attendance?.object("older_people"))
        try input.finish()
        guard let providerId, let title, let heldAt else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            guard let provider = try MatchStore.provider(tx.db, id: providerId), provider["scheme"]?.stringValue == "befriending" else {
                throw Problem.invalid("provider_id", "is not a befriending provider")
            }
            if context.principal?.role == .coordinator, PeopleAccess.coordinatorProvider(context.principal) != providerId {
                throw Problem.forbidden("A coordinator records its own provider's sessions.")
            }
            if context.principal?.role != .coordinator, context.principal?.scope != nil,
               try !Areas.scopeAllows(context.principal, areaId: provider["area_id"]?.stringValue, db: tx.db) {
                throw Problem.forbidden("This provider works outside the areas this key may use.")
            }
            let id = Identifier.make("gss", at: tx.now)
            let counts: JSON = ["volunteers": .object(volunteers), "older_people": .object(older)]
            try tx.db.run("""
                INSERT INTO group_sessions(id, provider_id, title, held_at, place, attendance, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, providerId, title, heldAt.rfc3339, place, counts.encodedString(), tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "group_session", id, changes: ["title", "held_at", "attendance"])
            return sessionJSON(id: id, provider: providerId, title: title, heldAt: heldAt.rfc3339, place: place, attendance: counts)
        }
        return .json(json, status: 201)
    }

    static func sessionJSON(id: String, provider: String, title: String, heldAt: String, place: String?, attendance: JSON) -> JSON {
        func total(_ key: String) -> Int { attendance[key]?.objectValue?.reduce(0) { $0 + ($1.1.intValue ?? 0) } ?? 0 }
        func young(_ key: String) -> Int {
            attendance[key]?.objectValue?.filter { ["18_24", "25_34", "35_44"].contains($0.0) }.reduce(0) { $0 + ($1.1.intValue ?? 0) } ?? 0
        }
        func old(_ key: String) -> Int {
            attendance[key]?.objectValue?.filter { ["65_74", "75_84", "85_plus"].contains($0.0) }.reduce(0) { $0 + ($1.1.intValue ?? 0) } ?? 0
        }
        return ["id": .string(id), "provider_id": .string(provider), "title": .string(title), "held_at": .string(heldAt), "place": JSON(place),
                "attendance": attendance, "volunteers": .int(total("volunteers")), "older_people": .int(total("older_people")),
                // Cross-age contact: volunteers under 45 meeting people over 65.
                "cross_age": .bool(young("volunteers") > 0 && old("older_people") > 0)]
    }

    @Sendable static func listSessions(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "group-sessions", filters: ["provider", "from", "to"], keyLength: 2)
        let from = try request.query.timestamp("from")
        let to = try request.query.timestamp("to")
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let scope = try MatchAccess.listScope(context.principal, db: db)
            guard !scope.nothing else { return [] }
            // Staff limited to an area see the sessions of providers working there.
            return try db.query("""
                SELECT id, provider_id, title, held_at, place, attendance FROM group_sessions
                WHERE (?1 IS NULL OR provider_id = ?1) AND (?2 IS NULL OR held_at >= ?2) AND (?3 IS NULL OR held_at < ?3)
                  AND (?4 IS NULL OR (held_at, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
                  AND (?8 IS NULL OR provider_id IN (SELECT p.id FROM providers p JOIN areas a ON a.id = p.area_id WHERE substr(a.path, 1, length(?8)) = ?8))
                ORDER BY held_at, id LIMIT ?6
                """, [scope.provider ?? request.query.string("provider"), from?.rfc3339, to?.rfc3339, after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339, scope.areaPath]) {
                sessionJSON(id: $0.string(0), provider: $0.string(1), title: $0.string(2), heldAt: $0.string(3), place: $0.optionalString(4),
                            attendance: (try? JSON.parse($0.string(5))) ?? .object([]))
            }
        }
        let (items, next) = page.page(rows) { [$0["held_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    // MARK: - Onward referrals

    /// `POST /v1/people/{id}/onward-referrals`: complex needs passed to the right agency (Age UK,
    /// adult social care…), recorded.
    @Sendable static func referOn(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let agency = input.string("agency", required: true, maxLength: 200)
        let reason = input.text("reason", required: true, maxLength: 2000)
        let referredOn = input.date("referred_on") ?? context.now.date
        try input.finish()
        guard let agency, let reason else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let person = try MatchAccess.person(tx.db, id: request.parameter("id"), for: context.principal, changing: true)
            let id = Identifier.make("onr", at: tx.now)
            try tx.db.run("""
                INSERT INTO onward_referrals(id, person_id, agency, reason, referred_on, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [id, person.id, agency, reason, referredOn, context.principal?.keyId, tx.now.rfc3339])
            try tx.audit("create", "onward_referral", id, changes: ["agency", "reason", "referred_on"])
            return ["id": .string(id), "person_id": .string(person.id), "agency": .string(agency), "reason": .string(reason),
                    "referred_on": .string(referredOn), "created_at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }

    @Sendable static func listOnward(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let rows = try context.read { db -> [JSON] in
            let person = try MatchAccess.person(db, id: request.parameter("id"), for: context.principal)
            return try db.query("SELECT id, agency, reason, referred_on, created_at FROM onward_referrals WHERE person_id = ? ORDER BY referred_on, id",
                                [person.id]) {
                ["id": .string($0.string(0)), "person_id": .string(person.id), "agency": .string($0.string(1)), "reason": .string($0.string(2)),
                 "referred_on": .string($0.string(3)), "created_at": .string($0.string(4))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }
}
