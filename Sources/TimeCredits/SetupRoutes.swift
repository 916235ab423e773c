import Areas
import Groups
import KithCore
import SQLiteStore

/// The scheme's rules and its organisations.
enum SetupRoutes {
    @Sendable static func showSettings(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let settings = try context.read { db in try CreditSettings.load(db) }
        return .resource(settings.json, version: settings.version)
    }

    /// `PATCH /v1/credit-settings` (admins): the daily maximum, gifting, expiry, and which
    /// schemes' contacts earn credits.
    @Sendable static func updateSettings(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let maxHours = input.int("max_hours_per_day", in: 1...24)
        let gifting = input.bool("gifting_allowed")
        let expiry = input.int("expiry_months", in: 1...120)
        let clearExpiry = input.isNull("expiry_months")
        let contactCredits = input.choices("contact_credits", from: CreditSettings.schemes)
        try input.finish()
        try CreditAccess.requireUnscopedAdmin(context.principal)
        let settings = try context.write { tx -> CreditSettings in
            let current = try CreditSettings.load(tx.db)
            try ETag.check(request, currentVersion: current.version)
            var next = current
            if let maxHours { next.maxHoursPerDay = maxHours }
            if let gifting { next.giftingAllowed = gifting }
            if let expiry { next.expiryMonths = expiry } else if clearExpiry { next.expiryMonths = nil }
            if let contactCredits { next.contactCredits = Array(Set(contactCredits)).sorted() }
            let changes = [("max_hours_per_day", next.maxHoursPerDay != current.maxHoursPerDay),
                           ("gifting_allowed", next.giftingAllowed != current.giftingAllowed),
                           ("expiry_months", next.expiryMonths != current.expiryMonths),
                           ("contact_credits", next.contactCredits != current.contactCredits)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            try tx.db.run("""
                UPDATE credit_settings SET max_hours_per_day = ?, gifting_allowed = ?, expiry_months = ?, contact_credits = ?,
                    updated_at = ?, version = version + 1 WHERE id = 1
                """, [next.maxHoursPerDay, next.giftingAllowed, next.expiryMonths, JSON(next.contactCredits).encodedString(), tx.now.rfc3339])
            try tx.audit("update", "credit_settings", "1", changes: changes)
            return try CreditSettings.load(tx.db)
        }
        return .resource(settings.json, version: settings.version)
    }

    // MARK: - Organisations

    /// `GET /v1/credit-organisations`: public, so volunteers can see where to earn and spend.
    @Sendable static func listOrganisations(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "credit-organisations", filters: ["earns", "venue", "area"], keyLength: 2)
        let earns = try request.query.bool("earns")
        let venue = try request.query.bool("venue")
        let after = try page.afterStrings()
        let rows = try context.read { db -> [CreditOrganisation] in
            var areaPath: String?
            if let area = request.query.string("area") {
                guard let path = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).") }
                areaPath = path
            }
            return try db.query("""
                SELECT \(CreditOrganisation.columns) FROM credit_organisations
                WHERE active = 1 AND (?1 IS NULL OR earns = ?1) AND (?2 IS NULL OR venue = ?2)
                  AND \(Areas.within("area_id", "?3"))
                  AND (?4 IS NULL OR (name, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
                ORDER BY name, id LIMIT ?6
                """, [earns, venue, areaPath, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339],
                CreditOrganisation.init(row:))
        }
        let (items, next) = page.page(rows) { [.string($0.name), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showOrganisation(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let organisation = try context.read({ db in try CreditOrganisation.find(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No credit organisation \(request.parameter("id")).")
        }
        return .resource(organisation.json, version: organisation.version)
    }

    /// `POST /v1/credit-organisations` (admins, officers): an organisation joins the scheme as a
    /// place to earn (approved to issue credits), a venue, or both.
    @Sendable static func createOrganisation(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = OrganisationDraft.read(input, creating: true)
        try input.finish()
        let organisation = try context.write { tx -> CreditOrganisation in
            try draft.check(tx.db, principal: context.principal)
            let id = Identifier.make("cor", at: tx.now)
            try tx.db.run("""
                INSERT INTO credit_organisations(id, name, earns, venue, group_id, area_id, active, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, draft.name, draft.earns ?? false, draft.venue ?? false, draft.groupId, draft.areaId, draft.active ?? true,
                      tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "credit_organisation", id, changes: ["name", "earns", "venue", "group_id", "area_id"])
            guard let created = try CreditOrganisation.find(tx.db, id: id) else { throw Problem.internalError() }
            return created
        }
        return .created(organisation.json, location: "/v1/credit-organisations/\(organisation.id)", version: organisation.version)
    }

    @Sendable static func updateOrganisation(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = OrganisationDraft.read(input, creating: false)
        try input.finish()
        let organisation = try context.write { tx -> CreditOrganisation in
            guard let current = try CreditOrganisation.find(tx.db, id: request.parameter("id")),
                  try Areas.scopeAllows(context.principal, areaId: current.areaId, db: tx.db) else {
                throw Problem.notFound("No credit organisation \(request.parameter("id")).")
            }
            try ETag.check(request, currentVersion: current.version)
            var next = current
            if let name = draft.name { next.name = name }
            if let earns = draft.earns { next.earns = earns }
            if let venue = draft.venue { next.venue = venue }
            if let group = draft.groupId { next.groupId = group }
            if let area = draft.areaId { next.areaId = area }
            if let active = draft.active { next.active = active }
            guard next.earns || next.venue else { throw Problem.invalid("earns", "an organisation earns, is a venue, or both") }
            try draft.check(tx.db, principal: context.principal)
            let changes = [("name", next.name != current.name), ("earns", next.earns != current.earns), ("venue", next.venue != current.venue),
                           ("group_id", next.groupId != current.groupId), ("area_id", next.areaId != current.areaId),
                           ("active", next.active != current.active)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            try tx.db.run("""
                UPDATE credit_organisations SET name = ?, earns = ?, venue = ?, group_id = ?, area_id = ?, active = ?, updated_at = ?,
                    version = version + 1 WHERE id = ?
                """, [next.name, next.earns, next.venue, next.groupId, next.areaId, next.active, tx.now.rfc3339, current.id])
            try tx.audit("update", "credit_organisation", current.id, changes: changes)
            guard let updated = try CreditOrganisation.find(tx.db, id: current.id) else { throw Problem.internalError() }
            return updated
        }
        return .resource(organisation.json, version: organisation.version)
    }
}

struct OrganisationDraft {
    var name: String?
    var earns: Bool?
    var venue: Bool?
    var groupId: String?
    var areaId: String?
    var active: Bool?

    static func read(_ input: Input, creating: Bool) -> OrganisationDraft {
        var d = OrganisationDraft()
        d.name = input.string("name", required: creating, maxLength: 200)
        d.earns = input.bool("earns")
        d.venue = input.bool("venue")
        d.groupId = input.string("group_id", maxLength: 60)
        d.areaId = input.string("area_id", required: creating, maxLength: 60)
        d.active = input.bool("active")
        if creating && d.earns != true && d.venue != true { input.fail("earns", "an organisation earns, is a venue, or both") }
        return d
    }

    func check(_ db: Database, principal: Principal?) throws {
        if let groupId, try Directory.find(db, id: groupId) == nil { throw Problem.invalid("group_id", "is not a group") }
        if let areaId { _ = try Areas.require(db, id: areaId, for: principal, field: "area_id") }
    }
}
