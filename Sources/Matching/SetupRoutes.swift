import Areas
import Groups
import KithCore
import People
import SQLiteStore

/// Schemes' settings, the providers in the partnership, and what volunteers offer.
enum SetupRoutes {
    @Sendable static func listSchemes(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let schemes = try context.read { db in try Scheme.ids.compactMap { try MatchStore.scheme(db, id: $0) } }
        return .json(["data": .array(schemes.map(\.json)), "next_cursor": .null])
    }

    /// `PATCH /v1/schemes/{scheme}` (admins): capacity, missed-contact and target days, review
    /// interval, and the checks a volunteer needs.
    @Sendable static func updateScheme(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let capacity = input.int("default_capacity", in: 1...20)
        let missed = input.int("missed_contact_days", in: 1...365)
        let target = input.int("match_target_days", in: 1...365)
        let review = input.int("review_interval_days", in: 7...730)
        let checks = input.objects("required_checks", maxCount: 10) { c -> (kind: String, detail: String)? in
            let kind = c.choice("kind", from: Check.kinds, required: true)
            let detail = c.string("detail", required: true, maxLength: 60)
            guard let kind, let detail else { return nil }
            // A detail no check can have would silently bar every volunteer.
            switch kind {
            case "dbs" where !Check.dbsLevels.contains(detail):
                c.fail("detail", "must be a DBS level: \(Check.dbsLevels.joined(separator: ", "))"); return nil
            case "reference" where detail != "any":
                c.fail("detail", "must be any: a reference requirement means two clear references"); return nil
            default:
                return (kind: kind, detail: detail)
            }
        }
        try input.finish()
        let scheme = try context.write { tx -> Scheme in
            let current = try MatchStore.requireScheme(tx.db, request.parameter("scheme"))
            try ETag.check(request, currentVersion: current.version)
            var scheme = current
            if let capacity { scheme.defaultCapacity = capacity }
            if let missed { scheme.missedContactDays = missed }
            if let target { scheme.matchTargetDays = target }
            if let review { scheme.reviewIntervalDays = review }
            if let checks { scheme.requiredChecks = checks }
            let changes = [("default_capacity", scheme.defaultCapacity != current.defaultCapacity),
                           ("missed_contact_days", scheme.missedContactDays != current.missedContactDays),
                           ("match_target_days", scheme.matchTargetDays != current.matchTargetDays),
                           ("review_interval_days", scheme.reviewIntervalDays != current.reviewIntervalDays),
                           ("required_checks", !scheme.requiredChecks.elementsEqual(current.requiredChecks) { $0 == $1 })].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            try tx.db.run("""
                UPDATE schemes SET required_checks = ?, default_capacity = ?, missed_contact_days = ?, match_target_days = ?,
                    review_interval_days = ?, updated_at = ?, version = version + 1 WHERE id = ?
                """, [JSON.array(scheme.requiredChecks.map { ["kind": .string($0.kind), "detail": .string($0.detail)] }).encodedString(),
                      scheme.defaultCapacity, scheme.missedContactDays, scheme.matchTargetDays, scheme.reviewIntervalDays,
                      tx.now.rfc3339, scheme.id])
            try tx.audit("update", "scheme", scheme.id, changes: changes)
            return try MatchStore.requireScheme(tx.db, scheme.id)
        }
        return .resource(scheme.json, version: scheme.version)
    }

    @Sendable static func listProviders(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "providers", filters: ["scheme"], keyLength: 2)
        let scheme = try request.query.oneOf("scheme", Scheme.ids)
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT id, name, scheme, group_id, area_id, created_at, updated_at, version FROM providers
                WHERE (?1 IS NULL OR scheme = ?1) AND (?2 IS NULL OR (name, id) > (?2, ?3)) AND (?5 IS NULL OR updated_at >= ?5)
                ORDER BY name, id LIMIT ?4
                """, [scheme, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], MatchStore.providerJSON)
        }
        let (items, next) = page.page(rows) { [$0["name"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func showProvider(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let provider = try context.read({ db in try MatchStore.provider(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No provider \(request.parameter("id")).")
        }
        return .resource(provider, version: provider["version"]?.intValue ?? 1)
    }

    @Sendable static func createProvider(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 200)
        let scheme = input.choice("scheme", from: Scheme.ids, required: true)
        let groupId = input.string("group_id", maxLength: 60)
        let areaId = input.string("area_id", maxLength: 60)
        try input.finish()
        guard let name, let scheme else { throw Problem.internalError() }
        let provider = try context.write { tx -> JSON in
            if let groupId, try Directory.find(tx.db, id: groupId) == nil { throw Problem.invalid("group_id", "is not a group") }
            if let areaId { _ = try Areas.require(tx.db, id: areaId, for: context.principal, field: "area_id") }
            let id = Identifier.make("prv", at: tx.now)
            try tx.db.run("""
                INSERT INTO providers(id, name, scheme, group_id, area_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [id, name, scheme, groupId, areaId, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "provider", id, changes: ["name", "scheme", "group_id", "area_id"])
            return try MatchStore.provider(tx.db, id: id) ?? .null
        }
        return .created(provider, location: "/v1/providers/\(provider["id"]?.stringValue ?? "")", version: 1)
    }

    // MARK: - Volunteers' offers

    @Sendable static func listOffers(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let offers = try context.read { db -> [JSON] in
            let person = try PeopleAccess.require(db, id: request.parameter("id"), for: context.principal)
            return try MatchStore.offers(db, personId: person.id).map(\.json)
        }
        return .json(["data": .array(offers), "next_cursor": .null])
    }

    /// `PUT /v1/people/{id}/offers/{scheme}`: what a volunteer offers a scheme (capacity, interests,
    /// availability, how they meet). A coordinator's volunteers offer through its provider.
    @Sendable static func setOffer(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let capacity = input.int("capacity", in: 1...20)
        let interests = input.strings("interests", maxCount: 30, maxLength: 60) ?? []
        let availability = input.choices("availability", from: Preferences.slots, maxCount: 21) ?? []
        let modes = input.choices("modes", from: Preferences.modes) ?? []
        let providerId = input.string("provider_id", maxLength: 60)
        let active = input.bool("active") ?? true
        try input.finish()
        let offer = try context.write { tx -> MatchStore.Offer in
            let person = try PeopleAccess.requireActive(tx.db, id: request.parameter("id"), for: context.principal)
            guard person.roles.contains("volunteer") else { throw Problem.conflict("Person \(person.id) is not a volunteer.") }
            let scheme = try MatchStore.requireScheme(tx.db, request.parameter("scheme"))
            let existing = try MatchStore.offers(tx.db, personId: person.id).first { $0.scheme == scheme.id }
            var provider = providerId
            if let own = PeopleAccess.coordinatorProvider(context.principal) {
                if let providerId, providerId != own { throw Problem.invalid("provider_id", "must be your own provider, \(own)") }
                provider = own
            } else if PeopleAccess.isSelf(context.principal, person), let providerId, providerId != existing?.providerId {
                // Which caseload a volunteer joins is for the provider's coordinator or an officer.
                throw Problem.invalid("provider_id", "is set by a coordinator or an officer")
            }
            if let provider {
                guard let found = try MatchStore.provider(tx.db, id: provider), found["scheme"]?.stringValue == scheme.id else {
                    throw Problem.invalid("provider_id", "is not a provider of the \(scheme.id) scheme")
                }
            }
            try ETag.check(request, currentVersion: existing?.version ?? 0)
            let offer = MatchStore.Offer(personId: person.id, scheme: scheme.id, providerId: provider ?? existing?.providerId,
                                         capacity: capacity ?? existing?.capacity ?? scheme.defaultCapacity, interests: interests,
                                         availability: availability, modes: modes, active: active, createdAt: existing?.createdAt ?? tx.now.rfc3339,
                                         updatedAt: tx.now.rfc3339, version: (existing?.version ?? 0) + 1)
            try MatchStore.saveOffer(tx, offer)
            try tx.audit(existing == nil ? "create" : "update", "volunteer_offer", "\(person.id):\(scheme.id)",
                         changes: ["capacity", "interests", "availability", "modes", "active", "provider_id"])
            return offer
        }
        return .resource(offer.json, version: offer.version, status: offer.version == 1 ? 201 : 200)
    }
}
