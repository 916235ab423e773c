import Areas
import KithCore
import People
import SQLiteStore

/// Earning: hours given with an organisation become credits, one per hour.
enum EarningRoutes {
    /// `POST /v1/volunteering`: an organisation records hours (approved at once, credits issued),
    /// or a volunteer reports their own (waiting for the organisation to approve or decline).
    @Sendable static func record(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let me = CreditAccess.selfPerson(context.principal)
        let personId = me == nil ? input.string("person_id", required: true, maxLength: 60) : input.string("person_id", maxLength: 60)
        let organisationId = input.string("organisation_id", required: true, maxLength: 60)
        let onDate = input.date("on_date", required: true)
        let hours = input.double("hours", required: true, in: 0.5...24)
        if let hours, (hours * 2).rounded() != hours * 2 { input.fail("hours", "must be in half-hour steps (0.5, 1, 1.5 …)") }
        let activity = input.choice("activity", from: Volunteering.activities, required: true)
        try input.finish()
        guard let organisationId, let onDate, let hours, let activity else { throw Problem.internalError() }
        if onDate > context.now.date { throw Problem.invalid("on_date", "must not be in the future") }
        if let me, let personId, personId != me { throw Problem.invalid("person_id", "must be your own, \(me)") }
        let volunteerId = me ?? personId ?? ""
        let halfHours = Int((hours * 2).rounded())
        let record = try context.write { tx -> Volunteering in
            guard let organisation = try CreditOrganisation.find(tx.db, id: organisationId), organisation.earns, organisation.active else {
                throw Problem.invalid("organisation_id", "is not an organisation approved to issue credits")
            }
            let selfReported = me != nil
            if !selfReported, try !CreditAccess.actsFor(context.principal, organisation, db: tx.db) {
                throw Problem.forbidden("Only \(organisation.name) or an officer records its volunteers' hours.")
            }
            _ = try CreditAccess.volunteer(tx.db, id: volunteerId, for: context.principal)
            let settings = try CreditSettings.load(tx.db)
            let sameDay = try halfHoursGiven(tx.db, personId: volunteerId, on: onDate)
            if sameDay + halfHours > settings.maxHoursPerDay * 2 {
                throw Problem.invalid("hours", "would take \(onDate) past the daily maximum of \(settings.maxHoursPerDay) hours "
                                      + "(\(Double(sameDay) / 2) already recorded)")
            }
            let now = tx.now.rfc3339
            let id = Identifier.make("vol", at: tx.now)
            try tx.db.run("""
                INSERT INTO volunteering(id, person_id, organisation_id, on_date, half_hours, activity, status, reported_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'reported', ?, ?, ?)
                """, [id, volunteerId, organisationId, onDate, halfHours, activity, context.principal?.keyId, now, now])
            try tx.audit("create", "volunteering", id, changes: ["person_id", "organisation_id", "on_date", "hours", "activity"])
            // Hours the organisation records itself are approved as they are recorded.
            if !selfReported { return try approve(tx, id: id) }
            guard let created = try Volunteering.find(tx.db, id: id) else { throw Problem.internalError() }
            return created
        }
        return .created(record.json, location: "/v1/volunteering/\(record.id)", version: record.version)
    }

    /// Half hours already given on a day: volunteering not declined or reversed, and contacts that
    /// earned credits.
    static func halfHoursGiven(_ db: Database, personId: String, on date: String) throws -> Int {
        try db.scalarInt("""
            SELECT coalesce((SELECT sum(half_hours) FROM volunteering WHERE person_id = ?1 AND on_date = ?2 AND status IN ('reported', 'approved')), 0)
                 + coalesce((SELECT sum(half_hours) FROM contact_hours WHERE person_id = ?1 AND on_date = ?2), 0)
            """, [personId, date]) ?? 0
    }

    /// Approves reported hours: the carried half hour and these hours become whole credits, and
    /// any half hour left over is carried to the next claim with the same organisation.
    static func approve(_ tx: Transaction, id: String) throws -> Volunteering {
        guard var record = try Volunteering.find(tx.db, id: id) else { throw Problem.notFound("No volunteering \(id).") }
        let credits = try issue(tx, personId: record.personId, earnedAt: record.organisationId, halfHours: record.halfHours,
                                source: (type: "volunteering", id: record.id))
        record.status = "approved"
        record.decidedBy = tx.actor.keyId
        record.decidedAt = tx.now.rfc3339
        record.credits = credits?.credits ?? 0
        record.movementId = credits?.id
        try tx.db.run("""
            UPDATE volunteering SET status = 'approved', decided_by = ?, decided_at = ?, credits = ?, movement_id = ?, updated_at = ?,
                version = version + 1 WHERE id = ? AND status = 'reported'
            """, [record.decidedBy, record.decidedAt, record.credits, record.movementId, tx.now.rfc3339, record.id])
        try tx.audit("approve", "volunteering", record.id, changes: ["status", "credits"])
        guard let approved = try Volunteering.find(tx.db, id: id) else { throw Problem.internalError() }
        return approved
    }

    /// Turns half hours (plus any carried) into whole credits issued to the person, carrying a
    /// half hour left over. Returns the movement, or nil when no whole credit is due yet.
    static func issue(_ tx: Transaction, personId: String, earnedAt: String, halfHours: Int, source: (type: String, id: String))
        throws -> Ledger.Movement? {
        let carried = try tx.db.scalarInt("SELECT half_hours FROM credit_carry WHERE person_id = ? AND earned_at = ?", [personId, earnedAt]) ?? 0
        let total = carried + halfHours
        try tx.db.run("""
            INSERT INTO credit_carry(person_id, earned_at, half_hours) VALUES (?1, ?2, ?3)
            ON CONFLICT(person_id, earned_at) DO UPDATE SET half_hours = ?3
            """, [personId, earnedAt, total % 2])
        guard total / 2 > 0 else { return nil }
        let account = try Ledger.personAccount(tx, personId: personId)
        return try Ledger.move(tx, .issue, from: Ledger.issuingAccount, to: account, credits: total / 2, source: source)
    }

    @Sendable static func approveRoute(_ request: Request, _ context: RequestContext) throws -> Response {
        try Input.optionalObject(from: request).finish()
        let record = try context.write { tx -> Volunteering in
            let current = try decidable(tx.db, id: request.parameter("id"), context: context)
            try ETag.check(request, currentVersion: current.version)
            return try approve(tx, id: current.id)
        }
        return .resource(record.json, version: record.version)
    }

    /// `POST /v1/volunteering/{id}/decline` with a reason the volunteer will see.
    @Sendable static func decline(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let reason = input.string("reason", required: true, maxLength: 500)
        try input.finish()
        let record = try context.write { tx -> Volunteering in
            let current = try decidable(tx.db, id: request.parameter("id"), context: context)
            try ETag.check(request, currentVersion: current.version)
            try tx.db.run("""
                UPDATE volunteering SET status = 'declined', decided_by = ?, decided_at = ?, decline_reason = ?, updated_at = ?,
                    version = version + 1 WHERE id = ?
                """, [context.principal?.keyId, tx.now.rfc3339, reason, tx.now.rfc3339, current.id])
            try tx.audit("decline", "volunteering", current.id, changes: ["status", "decline_reason"])
            guard let declined = try Volunteering.find(tx.db, id: current.id) else { throw Problem.internalError() }
            return declined
        }
        return .resource(record.json, version: record.version)
    }

    /// Reported hours the caller's organisation (or an officer) may decide; 409 once decided.
    private static func decidable(_ db: Database, id: String, context: RequestContext) throws -> Volunteering {
        guard let record = try Volunteering.find(db, id: id), let organisation = try CreditOrganisation.find(db, id: record.organisationId),
              try CreditAccess.actsFor(context.principal, organisation, db: db) else {
            throw Problem.notFound("No volunteering \(id) for an organisation this key acts for.")
        }
        guard record.status == "reported" else { throw Problem.conflict("These hours were already \(record.status).") }
        guard organisation.active else { throw Problem.conflict("\(organisation.name) no longer issues credits in the scheme.") }
        return record
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let record = try context.read { db -> Volunteering in
            guard let record = try Volunteering.find(db, id: request.parameter("id")), try visible(record, context: context, db: db) else {
                throw Problem.notFound("No volunteering \(request.parameter("id")).")
            }
            return record
        }
        return .resource(record.json, version: record.version)
    }

    static func visible(_ record: Volunteering, context: RequestContext, db: Database) throws -> Bool {
        if let me = CreditAccess.selfPerson(context.principal) { return record.personId == me }
        guard let organisation = try CreditOrganisation.find(db, id: record.organisationId) else { return false }
        return try CreditAccess.actsFor(context.principal, organisation, db: db)
    }

    /// `GET /v1/volunteering`: a volunteer's own hours, an organisation's volunteers' hours, or
    /// (staff) everyone's in their area; newest day first.
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "volunteering", filters: ["status", "person", "organisation", "from", "to"], keyLength: 2)
        let status = try request.query.oneOf("status", ["reported", "approved", "declined", "reversed"])
        let from = try request.query.date("from")
        let to = try request.query.date("to")
        let after = try page.afterStrings()
        let rows = try context.read { db -> [Volunteering] in
            var person = request.query.string("person")
            var organisations: [String]?
            var areaPath: String?
            if let me = CreditAccess.selfPerson(context.principal) {
                person = me
            } else if CreditAccess.isStaff(context.principal) {
                if let scope = context.principal?.scope {
                    guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return [] }
                    areaPath = path
                }
            } else {
                organisations = try CreditAccess.ownOrganisations(context.principal, db: db)
            }
            if let asked = request.query.string("organisation") {
                if let own = organisations, !own.contains(asked) { return [] }
                organisations = [asked]
            }
            return try db.query("""
                SELECT \(Volunteering.columns) FROM volunteering v
                WHERE (?1 IS NULL OR v.status = ?1) AND (?2 IS NULL OR v.person_id = ?2)
                  AND (?3 IS NULL OR v.organisation_id IN (SELECT value FROM json_each(?3)))
                  AND (?4 IS NULL OR v.organisation_id IN (SELECT o.id FROM credit_organisations o JOIN areas a ON a.id = o.area_id
                                                          WHERE substr(a.path, 1, length(?4)) = ?4))
                  AND (?5 IS NULL OR v.on_date >= ?5) AND (?6 IS NULL OR v.on_date <= ?6)
                  AND (?7 IS NULL OR (v.on_date, v.id) < (?7, ?8)) AND (?10 IS NULL OR v.updated_at >= ?10)
                ORDER BY v.on_date DESC, v.id DESC LIMIT ?9
                """, [status, person, organisations.map { JSON($0).encodedString() }, areaPath, from, to, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339],
                Volunteering.init(row:))
        }
        let (items, next) = page.page(rows) { [.string($0.onDate), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }
}
