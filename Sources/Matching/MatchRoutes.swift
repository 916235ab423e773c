import KithCore
import People
import SQLiteStore

/// A match's life (proposed, introduced, active, paused, ended), its contact log, safeguarding
/// concerns, and the lists coordinators work from: missed contacts and reviews due.
enum MatchRoutes {
    static func json(_ db: Database, _ match: Match, staff: Bool, today: String) throws -> JSON {
        match.json(person: try MatchAccess.personJSON(db, match.personId, staff: staff, today: today),
                   volunteer: try MatchAccess.personJSON(db, match.volunteerId, staff: staff, today: today))
    }

    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "matches", filters: ["scheme", "status", "volunteer", "person"], keyLength: 2)
        let scheme = try request.query.oneOf("scheme", Scheme.ids)
        let status = try request.query.oneOf("status", ["proposed", "introduced", "active", "paused", "ended"])
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            var volunteer = request.query.string("volunteer")
            var provider: String?
            var areaPath: String?
            var staff = true
            if context.principal?.role == .volunteer {
                // A volunteer sees their own matches.
                guard let me = context.principal?.scope, me.kind == .person else { return [] }
                volunteer = me.id
                staff = false
            } else {
                let scope = try MatchAccess.listScope(context.principal, db: db)
                guard !scope.nothing else { return [] }
                (provider, areaPath) = (scope.provider, scope.areaPath)
            }
            let matches = try db.query("""
                SELECT \(MatchStore.matchColumns) FROM matches m
                WHERE (?1 IS NULL OR m.scheme = ?1) AND (?2 IS NULL OR m.status = ?2) AND (?3 IS NULL OR m.volunteer_id = ?3)
                  AND (?4 IS NULL OR m.person_id = ?4) AND (?5 IS NULL OR m.provider_id = ?5)
                  AND \(PeopleDirectory.livingWithin("m.person_id", "?6"))
                  AND (?7 IS NULL OR (m.created_at, m.id) > (?7, ?8)) AND (?10 IS NULL OR m.updated_at >= ?10)
                ORDER BY m.created_at, m.id LIMIT ?9
                """, [scheme, status, volunteer, request.query.string("person"), provider, areaPath, after?.first, after?.last,
                      page.fetchLimit, page.updatedSince?.rfc3339], MatchStore.match)
            return try matches.map { try json(db, $0, staff: staff, today: context.now.date) }
        }
        let (items, next) = page.page(rows) { [$0["created_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let (match, staff) = try MatchAccess.match(db, id: request.parameter("id"), for: context.principal)
            return .resource(try json(db, match, staff: staff, today: context.now.date), version: match.version)
        }
    }

    enum Transition: String { case introduce, activate, pause, resume, end }

    /// `POST /v1/matches/{id}/{introduce|activate|pause|resume|end}` (coordinators and officers).
    /// Ending takes a reason; `rematch: true` puts the person back on the waiting list.
    static func transition(_ transition: Transition) -> Handler {
        { request, context in
            let input = try Input.optionalObject(from: request)
            let reason = transition == .end ? input.choice("reason", from: Match.endReasons, required: true) : nil
            let rematch = transition == .end ? (input.bool("rematch") ?? false) : false
            try input.finish()
            let match = try context.write { tx -> Match in
                let (current, staff) = try MatchAccess.match(tx.db, id: request.parameter("id"), for: context.principal)
                guard staff else { throw Problem.forbidden("Coordinators and officers move a match on.") }
                try ETag.check(request, currentVersion: current.version)
                var match = current
                let now = tx.now.rfc3339
                switch (transition, current.status) {
                case (.introduce, "proposed"):
                    match.status = "introduced"; match.introducedAt = now
                case (.activate, "introduced"):
                    let scheme = try MatchStore.requireScheme(tx.db, match.scheme)
                    match.status = "active"; match.activeAt = now
                    match.nextReview = tx.now.adding(seconds: Int64(scheme.reviewIntervalDays) * 86_400).date
                case (.pause, "active"), (.pause, "introduced"):
                    match.status = "paused"; match.pausedAt = now
                case (.resume, "paused"):
                    guard try tx.db.scalarInt("SELECT count(*) FROM concerns WHERE match_id = ? AND status <> 'closed' AND paused_match = 1",
                                              [match.id]) == 0 else {
                        throw Problem.conflict("A safeguarding concern paused this match; close it before resuming.")
                    }
                    match.status = match.activeAt == nil ? "introduced" : "active"; match.pausedAt = nil
                case (.end, "proposed"), (.end, "introduced"), (.end, "active"), (.end, "paused"):
                    match.status = "ended"; match.endedAt = now; match.endReason = reason
                    // The referral waits again for a new match, or is closed with the ending.
                    if var referral = try MatchStore.findReferral(tx.db, id: match.referralId), referral.status == "matched" {
                        if rematch {
                            referral.status = "waiting"
                            referral.waitingSince = now
                            referral.matchedAt = nil
                        } else {
                            referral.status = "closed"
                            referral.closedAt = now
                            referral.closeReason = "match ended: \(reason ?? "other")"
                        }
                        referral.updatedAt = now
                        referral.version += 1
                        try MatchStore.saveReferral(tx, referral, isNew: false)
                        try tx.audit(rematch ? "reopen" : "close", "referral", referral.id,
                                     changes: rematch ? ["status", "waiting_since"] : ["status", "close_reason"])
                    }
                default:
                    throw Problem.conflict("A \(current.status) match cannot be \(transition == .end ? "ended" : transition.rawValue + "d").")
                }
                match.updatedAt = now
                match.version += 1
                try MatchStore.saveMatch(tx, match, isNew: false)
                try tx.audit(transition.rawValue, "match", match.id, changes: transition == .end ? ["status", "end_reason"] : ["status"])
                return match
            }
            return .resource(try context.read { db in try json(db, match, staff: true, today: context.now.date) }, version: match.version)
        }
    }

    // MARK: - Contacts

    static let contactKinds = ["visit", "call", "video", "meet_up", "group", "informal_learning", "social", "shared_meal", "signposting"]
    static let topics = ["housing", "work", "health", "education", "benefits", "family", "local_services", "english", "other"]

    /// `POST /v1/matches/{id}/contacts`: a visit, call or meeting. The volunteer logs their own;
    /// the short note is read only by coordinators and officers.
    static func logContact(_ request: Request, _ context: RequestContext, listeners: [any ContactListener]) throws -> Response {
        let input = try Input.object(from: request)
        let happenedAt = input.timestamp("happened_at", required: true)
        let minutes = input.int("minutes", required: true, in: 1...1440)
        let kind = input.choice("kind", from: contactKinds, required: true)
        let topics = input.choices("topics", from: Self.topics) ?? []
        let note = input.text("note", maxLength: 2000)
        try input.finish()
        guard let happenedAt, let minutes, let kind else { throw Problem.internalError() }
        if happenedAt > context.now { throw Problem.invalid("happened_at", "must not be in the future") }
        let contact = try context.write { tx -> JSON in
            let (match, _) = try MatchAccess.match(tx.db, id: request.parameter("id"), for: context.principal)
            guard ["active", "introduced"].contains(match.status) else {
                throw Problem.conflict("Contacts are logged on introduced or active matches; this one is \(match.status).")
            }
            let id = Identifier.make("con", at: tx.now)
            try tx.db.run("""
                INSERT INTO contacts(id, match_id, happened_at, minutes, kind, topics, note, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, match.id, happenedAt.rfc3339, minutes, kind, JSON(topics).encodedString(), note, context.principal?.keyId, tx.now.rfc3339])
            try tx.audit("create", "contact", id, changes: ["happened_at", "minutes", "kind", "topics", "note"])
            let logged = LoggedContact(id: id, matchId: match.id, scheme: match.scheme, volunteerId: match.volunteerId, minutes: minutes,
                                       happenedAt: happenedAt)
            for listener in listeners { try listener.contactLogged(tx, logged) }
            return ["id": .string(id), "match_id": .string(match.id), "happened_at": .string(happenedAt.rfc3339), "minutes": .int(minutes),
                    "kind": .string(kind), "topics": JSON(topics), "created_at": .string(tx.now.rfc3339)]
        }
        return .json(contact, status: 201)
    }

    @Sendable static func listContacts(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "contacts", keyLength: 2)
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let (match, staff) = try MatchAccess.match(db, id: request.parameter("id"), for: context.principal)
            return try db.query("""
                SELECT id, happened_at, minutes, kind, topics, note, recorded_by, created_at FROM contacts
                WHERE match_id = ?1 AND (?2 IS NULL OR (happened_at, id) > (?2, ?3)) AND (?5 IS NULL OR created_at >= ?5)
                ORDER BY happened_at, id LIMIT ?4
                """, [match.id, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339]) { row -> JSON in
                ["id": .string(row.string(0)), "match_id": .string(match.id), "happened_at": .string(row.string(1)), "minutes": .int(row.int(2)),
                 "kind": .string(row.string(3)), "topics": (try? JSON.parse(row.string(4))) ?? .array([]),
                 "note": staff ? JSON(row.optionalString(5)) : .null, "recorded_by": staff ? JSON(row.optionalString(6)) : .null,
                 "created_at": .string(row.string(7))]
            }
        }
        let (items, next) = page.page(rows) { [$0["happened_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    // MARK: - Safeguarding concerns

    static let categories = ["neglect", "abuse", "financial", "health", "wellbeing", "conduct", "other"]

    /// `POST /v1/matches/{id}/concerns`: anyone with access to the match records a concern; with
    /// `pause: true` the match pauses at once. The reporter gets a reference back; only
    /// coordinators and officers read concerns.
    @Sendable static func raiseConcern(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let category = input.choice("category", from: categories, required: true)
        let description = input.text("description", required: true, maxLength: 5000)
        let pause = input.bool("pause") ?? false
        try input.finish()
        guard let category, let description else { throw Problem.internalError() }
        let (id, paused) = try context.write { tx -> (String, Bool) in
            var (match, _) = try MatchAccess.match(tx.db, id: request.parameter("id"), for: context.principal)
            let id = Identifier.make("cnc", at: tx.now)
            let pausing = pause && ["active", "introduced"].contains(match.status)
            try tx.db.run("""
                INSERT INTO concerns(id, match_id, raised_at, raised_by, category, description, status, paused_match, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)
                """, [id, match.id, tx.now.rfc3339, context.principal?.keyId, category, description, pausing, tx.now.rfc3339])
            try tx.audit("create", "concern", id, changes: ["category", "description"])
            if pausing {
                match.status = "paused"
                match.pausedAt = tx.now.rfc3339
                match.updatedAt = tx.now.rfc3339
                match.version += 1
                try MatchStore.saveMatch(tx, match, isNew: false)
                try tx.audit("pause", "match", match.id, changes: ["status"])
            }
            return (id, pausing)
        }
        return .json(["id": .string(id), "match_id": .string(request.parameter("id")), "status": "open", "match_paused": .bool(paused)], status: 201)
    }

    @Sendable static func listConcerns(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "concerns", filters: ["status", "match"], keyLength: 2)
        let status = try request.query.oneOf("status", ["open", "investigating", "closed"])
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let scope = try MatchAccess.listScope(context.principal, db: db)
            guard !scope.nothing else { return [] }
            return try db.query("""
                SELECT c.id, c.match_id, c.raised_at, c.raised_by, c.category, c.description, c.status, c.outcome, c.paused_match, c.updated_at, c.version
                FROM concerns c JOIN matches m ON m.id = c.match_id
                WHERE (?1 IS NULL OR c.status = ?1) AND (?2 IS NULL OR c.match_id = ?2) AND (?3 IS NULL OR m.provider_id = ?3)
                  AND \(PeopleDirectory.livingWithin("m.person_id", "?4"))
                  AND (?5 IS NULL OR (c.raised_at, c.id) > (?5, ?6)) AND (?8 IS NULL OR c.updated_at >= ?8)
                ORDER BY c.raised_at, c.id LIMIT ?7
                """, [status, request.query.string("match"), scope.provider, scope.areaPath, after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339], concernJSON)
        }
        let (items, next) = page.page(rows) { [$0["raised_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    static func concernJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "match_id": .string(row.string(1)), "raised_at": .string(row.string(2)),
         "raised_by": JSON(row.optionalString(3)), "category": .string(row.string(4)), "description": .string(row.string(5)),
         "status": .string(row.string(6)), "outcome": JSON(row.optionalString(7)), "paused_match": .bool(row.bool(8)),
         "updated_at": .string(row.string(9)), "version": .int(row.int(10))]
    }

    /// `PATCH /v1/concerns/{id}`: status and outcome, by coordinators and officers.
    @Sendable static func updateConcern(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let status = input.choice("status", from: ["open", "investigating", "closed"])
        let outcome = input.text("outcome", maxLength: 5000)
        try input.finish()
        let concern = try context.write { tx -> JSON in
            guard let current = try tx.db.queryOne("""
                SELECT id, match_id, raised_at, raised_by, category, description, status, outcome, paused_match, updated_at, version
                FROM concerns WHERE id = ?
                """, [request.parameter("id")], concernJSON), let matchId = current["match_id"]?.stringValue,
                  let (_, staff) = try? MatchAccess.match(tx.db, id: matchId, for: context.principal), staff else {
                throw Problem.notFound("No concern \(request.parameter("id")).")
            }
            try ETag.check(request, currentVersion: current["version"]?.intValue ?? 0)
            if status == "closed", outcome == nil, current["outcome"]?.stringValue == nil {
                throw Problem.validation([FieldError("outcome", "is required to close a concern")])
            }
            let changes = [("status", status.map { $0 != current["status"]?.stringValue } ?? false),
                           ("outcome", outcome.map { $0 != current["outcome"]?.stringValue } ?? false)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            try tx.db.run("UPDATE concerns SET status = coalesce(?, status), outcome = coalesce(?, outcome), updated_at = ?, version = version + 1 WHERE id = ?",
                          [status, outcome, tx.now.rfc3339, request.parameter("id")])
            try tx.audit("update", "concern", request.parameter("id"), changes: changes)
            return try tx.db.queryOne("""
                SELECT id, match_id, raised_at, raised_by, category, description, status, outcome, paused_match, updated_at, version
                FROM concerns WHERE id = ?
                """, [request.parameter("id")], concernJSON) ?? current
        }
        return .resource(concern, version: concern["version"]?.intValue ?? 1)
    }

    // MARK: - Work lists

    /// `GET /v1/matches/missed-contact`: active matches with no contact for longer than the
    /// scheme allows, longest silence first.
    @Sendable static func missedContact(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["scheme"])
        let scheme = try request.query.oneOf("scheme", Scheme.ids)
        let rows = try context.read { db -> [JSON] in
            let scope = try MatchAccess.listScope(context.principal, db: db)
            guard !scope.nothing else { return [] }
            return try db.query("""
                SELECT m.id, m.scheme, m.volunteer_id, m.person_id, m.provider_id, coalesce(max(c.happened_at), m.active_at) AS last, s.missed_contact_days
                FROM matches m JOIN schemes s ON s.id = m.scheme LEFT JOIN contacts c ON c.match_id = m.id
                WHERE m.status = 'active' AND (?1 IS NULL OR m.scheme = ?1) AND (?2 IS NULL OR m.provider_id = ?2)
                  AND \(PeopleDirectory.livingWithin("m.person_id", "?3"))
                GROUP BY m.id
                HAVING julianday(?4) - julianday(last) > s.missed_contact_days
                ORDER BY last, m.id
                """, [scheme, scope.provider, scope.areaPath, context.now.rfc3339]) { row -> JSON in
                ["match_id": .string(row.string(0)), "scheme": .string(row.string(1)), "volunteer_id": .string(row.string(2)),
                 "person_id": .string(row.string(3)), "provider_id": JSON(row.optionalString(4)), "last_contact": .string(row.string(5)),
                 "days_since": .int(Referral.days(from: row.string(5), to: context.now)), "allowed_days": .int(row.int(6))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }

    /// `GET /v1/matches/reviews-due`: active matches whose review date has come.
    @Sendable static func reviewsDue(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["scheme"])
        let scheme = try request.query.oneOf("scheme", Scheme.ids)
        let rows = try context.read { db -> [JSON] in
            let scope = try MatchAccess.listScope(context.principal, db: db)
            guard !scope.nothing else { return [] }
            return try db.query("""
                SELECT \(MatchStore.matchColumns) FROM matches m
                WHERE m.status = 'active' AND m.next_review <= ?1 AND (?2 IS NULL OR m.scheme = ?2) AND (?3 IS NULL OR m.provider_id = ?3)
                  AND \(PeopleDirectory.livingWithin("m.person_id", "?4"))
                ORDER BY m.next_review, m.id
                """, [context.now.date, scheme, scope.provider, scope.areaPath], MatchStore.match).map { try json(db, $0, staff: true, today: context.now.date) }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }
}
