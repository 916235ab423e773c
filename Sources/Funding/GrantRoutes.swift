import Areas
import Groups
import KithCore
import SQLiteStore

/// Awards within budget, tranches and payments, variations and clawbacks, monitoring reports.
enum GrantRoutes {
    /// `POST /v1/applications/{id}/award` (officers): `{"amount_pence", "conditions",
    /// "tranches": [{"amount_pence", "due_on"}]}`. The round's budget is checked in the same
    /// transaction as the award (SQLite's single writer serialises concurrent decisions), so the
    /// awards never add up to more than the budget.
    @Sendable static func award(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let amount = input.int("amount_pence", required: true, in: 1...1_000_000_000_00)
        let conditions = input.text("conditions", maxLength: 5000)
        let reason = input.string("reason", maxLength: 1000)
        let tranches = input.objects("tranches", maxCount: 12) { t -> (amount: Int, dueOn: String)? in
            let amount = t.int("amount_pence", required: true, in: 1...1_000_000_000_00)
            let due = t.date("due_on", required: true)
            guard let amount, let due else { return nil }
            return (amount: amount, dueOn: due)
        }
        if let tranches, let amount, !tranches.isEmpty, tranches.reduce(0, { $0 + $1.amount }) != amount {
            input.fail("tranches", "must add up to amount_pence")
        }
        try input.finish()
        guard let amount else { throw Problem.internalError() }
        let grant = try context.write { tx -> Grant in
            let (application, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            try FundingAccess.requireStaff(relation, "make awards")
            try ETag.check(request, currentVersion: application.version)
            try Transitions.check(from: application.status, to: "awarded")
            guard let round = try Round.find(tx.db, id: application.roundId) else { throw Problem.internalError() }
            guard (round.minGrantPence...round.maxGrantPence).contains(amount) else {
                throw Problem.invalid("amount_pence", "must be from \(round.minGrantPence) to \(round.maxGrantPence) in this round")
            }
            let committed = try Round.committedPence(tx.db, roundId: round.id)
            guard committed + amount <= round.budgetPence else {
                throw Problem(status: 409, slug: "budget-exceeded", title: "The round's budget is spent",
                              detail: "\(round.name) has \(round.budgetPence - committed) pence left of \(round.budgetPence); this award is \(amount).",
                              extensions: [("remaining_pence", .int(round.budgetPence - committed)), ("amount_pence", .int(amount))])
            }
            _ = try Transitions.move(tx, application, to: "awarded", reason: reason)
            let id = Identifier.make("gnt", at: tx.now)
            try tx.db.run("""
                INSERT INTO grants(id, application_id, round_id, group_id, awarded_pence, amount_pence, awarded_on, conditions, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'awarded', ?, ?)
                """, [id, application.id, round.id, application.groupId, amount, amount, tx.now.date, conditions, tx.now.rfc3339, tx.now.rfc3339])
            let plan = (tranches ?? []).isEmpty ? [(amount: amount, dueOn: tx.now.date)] : (tranches ?? [])
            for (i, tranche) in plan.enumerated() {
                try tx.db.run("INSERT INTO grant_tranches(grant_id, number, amount_pence, due_on) VALUES (?, ?, ?, ?)", [id, i + 1, tranche.amount, tranche.dueOn])
            }
            try scheduleReports(tx, grantId: id, application: application)
            try tx.audit("award", "grant", id, changes: ["amount_pence", "tranches", "conditions"])
            guard let grant = try Grant.find(tx.db, id: id) else { throw Problem.internalError() }
            return grant
        }
        return .created(grant.json, location: "/v1/grants/\(grant.id)", version: grant.version)
    }

    /// A progress report halfway through the project and a final report a month after its end
    /// (or at 6 and 12 months when the application gave no dates).
    static func scheduleReports(_ tx: Transaction, grantId: String, application: Application) throws {
        let start = application.startsOn.flatMap { Timestamp(date: $0) } ?? tx.now
        let end = application.endsOn.flatMap { Timestamp(date: $0) } ?? start.adding(seconds: 365 * 86_400)
        let middle = Timestamp(millisecondsSinceEpoch: (start.millisecondsSinceEpoch + end.millisecondsSinceEpoch) / 2)
        for (kind, due) in [("progress", middle), ("final", end.adding(seconds: 30 * 86_400))] {
            try tx.db.run("INSERT INTO grant_reports(id, grant_id, kind, due_on) VALUES (?, ?, ?, ?)",
                          [Identifier.make("grr", at: tx.now), grantId, kind, due.date])
        }
    }

    /// A grant the caller may see: staff in scope, or the grantee group; 404 otherwise.
    static func visibleGrant(_ db: Database, id: String, context: RequestContext) throws -> (Grant, staff: Bool) {
        guard let grant = try Grant.find(db, id: id), let application = try Application.find(db, id: grant.applicationId),
              let relation = try FundingAccess.relation(db, application, principal: context.principal), relation == .staff || relation == .applicant else {
            throw Problem.notFound("No grant \(id).")
        }
        return (grant, relation == .staff)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            let (grant, _) = try visibleGrant(db, id: request.parameter("id"), context: context)
            return try detail(db, grant)
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    /// The grant with its tranches, payments, changes and reports.
    static func detail(_ db: Database, _ grant: Grant) throws -> JSON {
        let tranches = try db.query("""
            SELECT t.number, t.amount_pence, t.due_on, (SELECT coalesce(sum(amount_pence), 0) FROM grant_payments p WHERE p.grant_id = t.grant_id AND p.tranche = t.number)
            FROM grant_tranches t WHERE t.grant_id = ? ORDER BY t.number
            """, [grant.id]) { row -> JSON in
            ["number": .int(row.int(0)), "amount_pence": pence(row.int(1)), "due_on": .string(row.string(2)), "paid_pence": pence(row.int(3))]
        }
        let payments = try db.query("SELECT id, tranche, amount_pence, paid_on, reference, created_at FROM grant_payments WHERE grant_id = ? ORDER BY paid_on, rowid",
                                    [grant.id]) { row -> JSON in
            ["id": .string(row.string(0)), "tranche": JSON(row.optionalInt(1)), "amount_pence": pence(row.int(2)), "paid_on": .string(row.string(3)),
             "reference": .string(row.string(4)), "created_at": .string(row.string(5))]
        }
        let changes = try db.query("SELECT id, kind, before_pence, after_pence, recovered_pence, reason, at FROM grant_changes WHERE grant_id = ? ORDER BY at, rowid",
                                   [grant.id]) { row -> JSON in
            ["id": .string(row.string(0)), "kind": .string(row.string(1)), "before_pence": pence(row.int(2)), "after_pence": pence(row.int(3)),
             "recovered_pence": pence(row.int(4)), "reason": .string(row.string(5)), "at": .string(row.string(6))]
        }
        let reports = try db.query("SELECT \(reportColumns) FROM grant_reports WHERE grant_id = ? ORDER BY due_on", [grant.id], reportJSON)
        guard case .object(var pairs) = grant.json else { return grant.json }
        pairs += [("tranches", .array(tranches)), ("payments", .array(payments)), ("changes", .array(changes)), ("reports", .array(reports))]
        return .object(pairs)
    }

    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "grants", filters: ["round", "group", "status"], keyLength: 2)
        let status = try request.query.oneOf("status", ["awarded", "paid", "closed"])
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let own = FundingAccess.ownGroup(context.principal)
            if context.principal?.role == .group && own == nil { return [] }
            let path = FundingAccess.isStaff(context.principal) ? try context.principal?.scope.map { scope -> String in
                guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return "/nothing/" }
                return path
            } : nil
            return try db.query("""
                SELECT \(Grant.columns) FROM grants g
                WHERE (?1 IS NULL OR g.round_id = ?1) AND (?2 IS NULL OR g.group_id = ?2) AND (?3 IS NULL OR g.status = ?3)
                  AND (?4 IS NULL OR g.group_id = ?4)
                  AND (?5 IS NULL OR g.group_id IN (SELECT gr.id FROM groups gr JOIN areas a ON a.id = gr.based_in WHERE substr(a.path, 1, length(?5)) = ?5))
                  AND (?6 IS NULL OR (g.awarded_on, g.id) > (?6, ?7)) AND (?9 IS NULL OR g.updated_at >= ?9)
                ORDER BY g.awarded_on, g.id LIMIT ?8
                """, [request.query.string("round"), request.query.string("group"), status, own, path, after?.first, after?.last,
                      page.fetchLimit, page.updatedSince?.rfc3339], Grant.init(row:)).map(\.json)
        }
        let (items, next) = page.page(rows) { [$0["awarded_on"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    /// `POST /v1/grants/{id}/payments` (officers): `{"amount_pence", "paid_on", "reference",
    /// "tranche"}`; never more than the grant still holds. Fully paid grants are `paid`.
    @Sendable static func pay(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let amount = input.int("amount_pence", required: true, in: 1...1_000_000_000_00)
        let paidOn = input.date("paid_on", required: true)
        let reference = input.string("reference", required: true, maxLength: 100)
        let tranche = input.int("tranche", in: 1...12)
        try input.finish()
        guard let amount, let paidOn, let reference else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let (grant, staff) = try visibleGrant(tx.db, id: request.parameter("id"), context: context)
            guard staff else { throw Problem.forbidden("Officers record payments.") }
            guard grant.status != "closed" else { throw Problem.conflict("Grant \(grant.id) is closed.") }
            guard amount <= grant.remainingPence else {
                throw Problem(status: 409, slug: "overpayment", title: "More than the grant holds",
                              detail: "Grant \(grant.id) has \(grant.remainingPence) pence left to pay; this payment is \(amount).",
                              extensions: [("remaining_pence", .int(grant.remainingPence))])
            }
            if let tranche, try tx.db.scalarInt("SELECT count(*) FROM grant_tranches WHERE grant_id = ? AND number = ?", [grant.id, tranche]) != 1 {
                throw Problem.invalid("tranche", "is not a tranche of this grant")
            }
            if try tx.db.scalarInt("SELECT count(*) FROM grant_payments WHERE grant_id = ? AND reference = ?", [grant.id, reference]) ?? 0 > 0 {
                throw Problem.conflict("A payment with reference \(reference) is already recorded for this grant.")
            }
            let id = Identifier.make("pay", at: tx.now)
            try tx.db.run("""
                INSERT INTO grant_payments(id, grant_id, tranche, amount_pence, paid_on, reference, key_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, grant.id, tranche, amount, paidOn, reference, context.principal?.keyId, tx.now.rfc3339])
            try touch(tx, grantId: grant.id)
            try tx.audit("pay", "grant", grant.id, changes: ["payments"])
            try settle(tx, grantId: grant.id)
            guard let updated = try Grant.find(tx.db, id: grant.id) else { throw Problem.internalError() }
            return try detail(tx.db, updated)
        }
        return .json(json, status: 201)
    }

    /// A payment or a report changes what the grant shows: a new version, so ETags and
    /// `updated_since` see it.
    static func touch(_ tx: Transaction, grantId: String) throws {
        try tx.db.run("UPDATE grants SET updated_at = ?, version = version + 1 WHERE id = ?", [tx.now.rfc3339, grantId])
    }

    /// Status follows the money: `paid` when nothing is left to pay, `awarded` otherwise.
    static func settle(_ tx: Transaction, grantId: String) throws {
        guard let grant = try Grant.find(tx.db, id: grantId), grant.status != "closed" else { return }
        let status = grant.remainingPence == 0 ? "paid" : "awarded"
        guard status != grant.status else { return }
        try tx.db.run("UPDATE grants SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?", [status, tx.now.rfc3339, grantId])
    }

    /// `POST /v1/grants/{id}/variations` (officers): a new amount with a reason; not below what
    /// is paid, not beyond the round's budget.
    @Sendable static func vary(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let amount = input.int("amount_pence", required: true, in: 0...1_000_000_000_00)
        let reason = input.string("reason", required: true, maxLength: 1000)
        try input.finish()
        guard let amount, let reason else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let (grant, staff) = try visibleGrant(tx.db, id: request.parameter("id"), context: context)
            guard staff else { throw Problem.forbidden("Officers vary grants.") }
            try ETag.check(request, currentVersion: grant.version)
            guard grant.status != "closed" else { throw Problem.conflict("Grant \(grant.id) is closed.") }
            guard amount >= grant.paidPence else { throw Problem.invalid("amount_pence", "cannot be below the \(grant.paidPence) already paid; claw back instead") }
            guard let round = try Round.find(tx.db, id: grant.roundId) else { throw Problem.internalError() }
            let committed = try Round.committedPence(tx.db, roundId: round.id)
            guard committed - grant.amountPence + amount <= round.budgetPence else {
                throw Problem(status: 409, slug: "budget-exceeded", title: "The round's budget is spent",
                              detail: "\(round.name) has \(round.budgetPence - committed) pence left; this variation needs \(amount - grant.amountPence).",
                              extensions: [("remaining_pence", .int(round.budgetPence - committed)), ("amount_pence", .int(amount - grant.amountPence))])
            }
            try change(tx, grant, kind: "variation", after: amount, recovered: 0, reason: reason)
            guard let updated = try Grant.find(tx.db, id: grant.id) else { throw Problem.internalError() }
            return try detail(tx.db, updated)
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    /// `POST /v1/grants/{id}/clawbacks` (officers): money the group returns, with a reason; the
    /// grant shrinks by it.
    @Sendable static func clawBack(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let amount = input.int("amount_pence", required: true, in: 1...1_000_000_000_00)
        let reason = input.string("reason", required: true, maxLength: 1000)
        try input.finish()
        guard let amount, let reason else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let (grant, staff) = try visibleGrant(tx.db, id: request.parameter("id"), context: context)
            guard staff else { throw Problem.forbidden("Officers claw back grants.") }
            try ETag.check(request, currentVersion: grant.version)
            guard amount <= grant.paidPence else { throw Problem.invalid("amount_pence", "cannot be more than the \(grant.paidPence) paid") }
            try change(tx, grant, kind: "clawback", after: grant.amountPence - amount, recovered: amount, reason: reason)
            guard let updated = try Grant.find(tx.db, id: grant.id) else { throw Problem.internalError() }
            return try detail(tx.db, updated)
        }
        return .json(json, status: 201)
    }

    static func change(_ tx: Transaction, _ grant: Grant, kind: String, after: Int, recovered: Int, reason: String) throws {
        try tx.db.run("""
            INSERT INTO grant_changes(id, grant_id, kind, before_pence, after_pence, recovered_pence, reason, key_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [Identifier.make("gch", at: tx.now), grant.id, kind, grant.amountPence, after, recovered, reason, tx.actor.keyId, tx.now.rfc3339])
        try tx.db.run("UPDATE grants SET amount_pence = ?, updated_at = ?, version = version + 1 WHERE id = ?", [after, tx.now.rfc3339, grant.id])
        try tx.audit(kind, "grant", grant.id, changes: ["amount_pence"])
        try settle(tx, grantId: grant.id)
    }

    /// `POST /v1/grants/{id}/close` (officers): the work is done and reported.
    @Sendable static func close(_ request: Request, _ context: RequestContext) throws -> Response {
        let reason = try ApplicationRoutes.reasonInput(request, required: false)
        let json = try context.write { tx -> JSON in
            let (grant, staff) = try visibleGrant(tx.db, id: request.parameter("id"), context: context)
            guard staff else { throw Problem.forbidden("Officers close grants.") }
            try ETag.check(request, currentVersion: grant.version)
            guard grant.status != "closed" else { throw Problem.conflict("Grant \(grant.id) is already closed.") }
            guard grant.remainingPence == 0 else { throw Problem.conflict("Grant \(grant.id) still has \(grant.remainingPence) pence to pay (or vary it first).") }
            try tx.db.run("UPDATE grants SET status = 'closed', updated_at = ?, version = version + 1 WHERE id = ?", [tx.now.rfc3339, grant.id])
            try tx.audit("close", "grant", grant.id, changes: reason == nil ? ["status"] : ["status", "reason"])
            guard let updated = try Grant.find(tx.db, id: grant.id) else { throw Problem.internalError() }
            return try detail(tx.db, updated)
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    // MARK: - Monitoring

    static let reportColumns = "id, grant_id, kind, due_on, submitted_at, people_reached, volunteers, outcomes, links, version"

    static func reportJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "grant_id": .string(row.string(1)), "kind": .string(row.string(2)), "due_on": .string(row.string(3)),
         "submitted_at": JSON(row.optionalString(4)), "people_reached": row.optionalString(5).flatMap { try? JSON.parse($0) } ?? .null,
         "volunteers": JSON(row.optionalInt(6)), "outcomes": JSON(row.optionalString(7)), "links": (try? JSON.parse(row.string(8))) ?? .array([]),
         "version": .int(row.int(9))]
    }

    /// `PUT /v1/grant-reports/{id}`: the grantee group submits a progress or final report.
    @Sendable static func submitReport(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let reached = input.object("people_reached", required: true)
        var counts: [(String, JSON)] = []
        for beneficiary in Vocabulary.values(Vocabulary.beneficiaries) {
            if let n = reached?.int(beneficiary, in: 0...10_000_000) { counts.append((beneficiary, .int(n))) }
        }
        let volunteers = input.int("volunteers", required: true, in: 0...1_000_000)
        let outcomes = input.text("outcomes", required: true, maxLength: 10_000)
        let links = input.urls("links", maxCount: 20) ?? []
        try input.finish()
        let json = try context.write { tx -> JSON in
            guard let report = try tx.db.queryOne("SELECT \(reportColumns) FROM grant_reports WHERE id = ?", [request.parameter("id")], reportJSON),
                  let grantId = report["grant_id"]?.stringValue else { throw Problem.notFound("No grant report \(request.parameter("id")).") }
            _ = try visibleGrant(tx.db, id: grantId, context: context)
            try ETag.check(request, currentVersion: report["version"]?.intValue ?? 1)
            try tx.db.run("""
                UPDATE grant_reports SET submitted_at = ?, people_reached = ?, volunteers = ?, outcomes = ?, links = ?, version = version + 1 WHERE id = ?
                """, [tx.now.rfc3339, JSON.object(counts).encodedString(), volunteers, outcomes, JSON(links).encodedString(), request.parameter("id")])
            try tx.audit("submit", "grant_report", request.parameter("id"), changes: ["people_reached", "volunteers", "outcomes", "links"])
            try touch(tx, grantId: grantId)
            return try tx.db.queryOne("SELECT \(reportColumns) FROM grant_reports WHERE id = ?", [request.parameter("id")], reportJSON) ?? report
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    /// `GET /v1/grant-reports/overdue` (officers): reports past their due date and not in, oldest first.
    @Sendable static func overdue(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["round"])
        let rows = try context.read { db -> [JSON] in
            let path = try FundingAccess.staffAreaPath(context.principal, db: db)
            return try db.query("""
                SELECT r.id, r.grant_id, r.kind, r.due_on, g.group_id, g.round_id, julianday(?1) - julianday(r.due_on)
                FROM grant_reports r JOIN grants g ON g.id = r.grant_id
                WHERE r.submitted_at IS NULL AND r.due_on < ?1 AND g.status <> 'closed' AND (?2 IS NULL OR g.round_id = ?2)
                  AND \(FundingAccess.groupInScope("g.group_id", pathParameter: 3))
                ORDER BY r.due_on, r.id
                """, [context.now.date, request.query.string("round"), path]) { row -> JSON in
                ["report_id": .string(row.string(0)), "grant_id": .string(row.string(1)), "kind": .string(row.string(2)),
                 "due_on": .string(row.string(3)), "group_id": .string(row.string(4)), "round_id": .string(row.string(5)),
                 "days_overdue": .int(Int(row.double(6)))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }
}
