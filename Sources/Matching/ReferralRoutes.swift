import Areas
import Groups
import KithCore
import People
import SQLiteStore

/// Referrals, the waiting list, suggested matches and proposing a match.
enum ReferralRoutes {
    /// `POST /v1/referrals`: a new arrival or an older person is referred, either an existing
    /// person (`person_id`) or someone new (`person`, with consent to store their details).
    /// Partner systems may refer; they get the ids back and nothing more.
    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let schemeId = input.choice("scheme", from: Scheme.ids, required: true)
        let personId = input.string("person_id", maxLength: 60)
        let personDraft = input.object("person").map { PersonDraft.read($0, creating: true, referred: true) }
        if (personId == nil) == (personDraft == nil) { input.fail("person_id", "give exactly one of person_id and person") }
        let providerId = input.string("provider_id", maxLength: 60)
        let source = input.choice("source", from: Referral.sources, required: true)
        let sourceGroup = input.string("source_group", maxLength: 60)
        let needs = input.text("needs", maxLength: 5000) ?? ""
        let preferences = input.object("preferences").map(Preferences.read) ?? Preferences()
        let details = input.object("details").map { SchemeDetails.read($0, scheme: schemeId ?? "") } ?? .object([])
        if schemeId == "befriending" && providerId == nil && PeopleAccess.coordinatorProvider(context.principal) == nil {
            input.fail("provider_id", "is required for befriending: each provider runs its own caseload")
        }
        try input.finish()
        guard let schemeId, let source else { throw Problem.internalError() }
        let staff = context.principal?.role != .partner
        let referral = try context.write { tx -> Referral in
            _ = try MatchStore.requireScheme(tx.db, schemeId)
            var provider = providerId
            if let own = PeopleAccess.coordinatorProvider(context.principal) {
                if let providerId, providerId != own { throw Problem.invalid("provider_id", "must be your own provider, \(own)") }
                provider = own
            }
            if let provider {
                guard let found = try MatchStore.provider(tx.db, id: provider), found["scheme"]?.stringValue == schemeId else {
                    throw Problem.invalid("provider_id", "is not a provider of the \(schemeId) scheme")
                }
            }
            if let sourceGroup, try Directory.find(tx.db, id: sourceGroup) == nil { throw Problem.invalid("source_group", "is not a group") }
            if let area = preferences.areaId, try Areas.find(tx.db, id: area) == nil { throw Problem.invalid("preferences.area_id", "is not an area") }
            let role = schemeId == "fan" ? "new_arrival" : "befriendee"
            let person: Person
            if var draft = personDraft {
                draft.roles = [role]
                draft.providerId = provider
                person = try PeopleDirectory.create(tx, draft, principal: context.principal?.role == .partner ? nil : context.principal)
            } else if let personId {
                // Staff refer people they can see; a partner may only refer someone new.
                guard staff, let found = try PeopleDirectory.find(tx.db, id: personId), found.erasedAt == nil,
                      try PeopleAccess.canSeeFull(context.principal, found, db: tx.db) else {
                    throw Problem.invalid("person_id", "is not a person you can refer")
                }
                person = found
                try PeopleDirectory.addRole(tx, personId: person.id, role: role, provider: provider)
            } else { throw Problem.internalError() }
            if schemeId == "fan", try tx.db.scalarInt("SELECT count(*) FROM referrals WHERE person_id = ? AND scheme = 'fan' AND status <> 'closed'",
                                                       [person.id]) ?? 0 > 0 {
                throw Problem.conflict("This person already has an open FAN referral.")
            }
            let now = tx.now.rfc3339
            let referral = Referral(id: Identifier.make("ref", at: tx.now), scheme: schemeId, personId: person.id, providerId: provider,
                                    source: context.principal?.role == .partner ? "partner" : source, sourceGroup: sourceGroup, needs: needs,
                                    preferences: preferences, details: details, status: "waiting", referredAt: now, waitingSince: now,
                                    matchedAt: nil, closedAt: nil, closeReason: nil, createdAt: now, updatedAt: now, version: 1)
            try MatchStore.saveReferral(tx, referral, isNew: true)
            try tx.audit("create", "referral", referral.id, changes: ["person_id", "source", "needs", "preferences", "details"])
            return referral
        }
        if !staff {
            return .json(["id": .string(referral.id), "person_id": .string(referral.personId), "status": "waiting"], status: 201)
        }
        return .created(referral.json(person: nil, today: context.now), location: "/v1/referrals/\(referral.id)", version: referral.version)
    }

    /// `GET /v1/referrals`: the waiting list by default, longest waiting first, with days waited
    /// and whether the scheme's target is passed.
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "referrals", filters: ["scheme", "status", "provider"], keyLength: 2)
        let scheme = try request.query.oneOf("scheme", Scheme.ids)
        let status = try request.query.oneOf("status", ["waiting", "matched", "closed"]) ?? "waiting"
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let scope = try MatchAccess.listScope(context.principal, db: db)
            guard !scope.nothing else { return [] }
            let referrals = try db.query("""
                SELECT \(MatchStore.referralColumns) FROM referrals r
                WHERE r.status = ?1 AND (?2 IS NULL OR r.scheme = ?2) AND (?3 IS NULL OR r.provider_id = ?3)
                  AND \(PeopleDirectory.livingWithin("r.person_id", "?4"))
                  AND (?5 IS NULL OR (r.waiting_since, r.id) > (?5, ?6)) AND (?8 IS NULL OR r.updated_at >= ?8)
                ORDER BY r.waiting_since, r.id LIMIT ?7
                """, [status, scheme, scope.provider ?? request.query.string("provider"), scope.areaPath, after?.first, after?.last,
                      page.fetchLimit, page.updatedSince?.rfc3339], MatchStore.referral)
            return try referrals.map { referral in
                var json = referral.json(person: try MatchAccess.personJSON(db, referral.personId, staff: true, today: context.now.date),
                                         today: context.now)
                if case .object(var pairs) = json, let scheme = try MatchStore.scheme(db, id: referral.scheme) {
                    pairs.append(("over_target", .bool(referral.status == "waiting"
                        && Referral.days(from: referral.waitingSince, to: context.now) > scheme.matchTargetDays)))
                    json = .object(pairs)
                }
                return json
            }
        }
        let (items, next) = page.page(rows) { [$0["waiting_since"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let referral = try MatchAccess.referral(db, id: request.parameter("id"), for: context.principal)
            return .resource(referral.json(person: try MatchAccess.personJSON(db, referral.personId, staff: true, today: context.now.date),
                                           today: context.now), version: referral.version)
        }
    }

    /// `POST /v1/referrals/{id}/close`: no match is needed any more.
    @Sendable static func close(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let reason = input.string("reason", required: true, maxLength: 300)
        try input.finish()
        let referral = try context.write { tx -> Referral in
            var referral = try MatchAccess.referral(tx.db, id: request.parameter("id"), for: context.principal)
            try ETag.check(request, currentVersion: referral.version)
            guard referral.status == "waiting" else { throw Problem.conflict("Only a waiting referral can be closed; this one is \(referral.status).") }
            referral.status = "closed"
            referral.closedAt = tx.now.rfc3339
            referral.closeReason = reason
            referral.updatedAt = tx.now.rfc3339
            referral.version += 1
            try MatchStore.saveReferral(tx, referral, isNew: false)
            try tx.audit("close", "referral", referral.id, changes: ["status", "close_reason"])
            return referral
        }
        return .resource(referral.json(person: nil, today: context.now), version: referral.version)
    }

    /// `GET /v1/referrals/{id}/suggestions`: volunteers ranked by fit, each with the reasons for
    /// its score, and those left out with the rule they break.
    @Sendable static func suggestions(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["limit"])
        let limit = try request.query.int("limit", in: 1...PageRequest.maxLimit) ?? 20
        return try context.read { db in
            let referral = try MatchAccess.referral(db, id: request.parameter("id"), for: context.principal)
            let scheme = try MatchStore.requireScheme(db, referral.scheme)
            let (candidates, excluded) = try Engine.evaluate(db, referral: referral, scheme: scheme, today: context.now.date)
            return .json([
                "referral_id": .string(referral.id),
                "data": .array(candidates.prefix(limit).map { candidate in
                    ["volunteer_id": .string(candidate.volunteerId), "volunteer": candidate.volunteer.json(.matched, today: context.now.date),
                     "score": .int(candidate.score), "reasons": JSON(candidate.reasons)]
                }),
                "excluded": .array(excluded.map { ["volunteer_id": .string($0.volunteerId), "reasons": JSON($0.reasons)] }),
            ])
        }
    }

    /// `POST /v1/matches` with `{"referral_id", "volunteer_id"}`: a coordinator proposes a match.
    /// The hard rules are checked again at this moment: a check that expired since the
    /// suggestion, or a full volunteer, refuses it.
    @Sendable static func propose(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let referralId = input.string("referral_id", required: true, maxLength: 60)
        let volunteerId = input.string("volunteer_id", required: true, maxLength: 60)
        try input.finish()
        guard let referralId, let volunteerId else { throw Problem.internalError() }
        let match = try context.write { tx -> Match in
            guard var referral = try MatchStore.findReferral(tx.db, id: referralId),
                  try MatchAccess.runs(context.principal, providerId: referral.providerId, personId: referral.personId, db: tx.db) else {
                throw Problem.invalid("referral_id", "is not a referral you run")
            }
            guard referral.status == "waiting" else { throw Problem.conflict("Referral \(referral.id) is \(referral.status), not waiting.") }
            let scheme = try MatchStore.requireScheme(tx.db, referral.scheme)
            let (candidates, excluded) = try Engine.evaluate(tx.db, referral: referral, scheme: scheme, today: tx.now.date)
            guard let candidate = candidates.first(where: { $0.volunteerId == volunteerId }) else {
                let why = excluded.first { $0.volunteerId == volunteerId }?.reasons ?? ["not a volunteer offering this scheme"]
                throw Problem.invalid("volunteer_id", "cannot be matched: \(why.joined(separator: "; "))")
            }
            // FAN: one buddy at a time for each new arrival.
            if referral.scheme == "fan", try tx.db.scalarInt("""
                SELECT count(*) FROM matches WHERE person_id = ? AND scheme = 'fan' AND status IN ('proposed', 'introduced', 'active', 'paused')
                """, [referral.personId]) ?? 0 > 0 {
                throw Problem.conflict("This new arrival already has a buddy.")
            }
            let now = tx.now.rfc3339
            let match = Match(id: Identifier.make("mat", at: tx.now), scheme: referral.scheme, referralId: referral.id, personId: referral.personId,
                              volunteerId: volunteerId, providerId: referral.providerId, status: "proposed", score: candidate.score,
                              reasons: candidate.reasons, proposedAt: now, introducedAt: nil, activeAt: nil, pausedAt: nil, endedAt: nil,
                              endReason: nil, nextReview: nil, createdAt: now, updatedAt: now, version: 1)
            try MatchStore.saveMatch(tx, match, isNew: true)
            referral.status = "matched"
            referral.matchedAt = now
            referral.updatedAt = now
            referral.version += 1
            try MatchStore.saveReferral(tx, referral, isNew: false)
            try tx.audit("propose", "match", match.id, changes: ["status", "volunteer_id", "person_id"])
            try tx.audit("update", "referral", referral.id, changes: ["status"])
            return match
        }
        return .created(try context.read { db in try MatchRoutes.json(db, match, staff: true, today: context.now.date) },
                        location: "/v1/matches/\(match.id)", version: match.version)
    }
}

/// The scheme's own answers about the referred person.
enum SchemeDetails {
    static func read(_ input: Input, scheme: String) -> JSON {
        var pairs: [(String, JSON)] = []
        switch scheme {
        case "fan":
            // Never immigration status: FAN asks only what helps a buddy help.
            if let english = input.choice("english", from: ["well", "not_well", "not_at_all"]) { pairs.append(("english", .string(english))) }
            if let goals = input.choices("goals", from: ["english_practice", "social", "local_knowledge", "work", "family"]) {
                pairs.append(("goals", JSON(goals)))
            }
            if let month = input.string("arrival_month", maxLength: 7) {
                if month.range(of: #"^\d{4}-(0[1-9]|1[0-2])$"#, options: .regularExpression) == nil {
                    input.fail("arrival_month", "must be YYYY-MM")
                } else { pairs.append(("arrival_month", .string(month))) }
            }
        case "befriending":
            if let living = input.choice("living_situation", from: ["alone", "with_family", "care_home", "sheltered_housing", "other"]) {
                pairs.append(("living_situation", .string(living)))
            }
            if let housebound = input.bool("housebound") { pairs.append(("housebound", .bool(housebound))) }
        default:
            break
        }
        return .object(pairs)
    }
}
