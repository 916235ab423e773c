import Areas
import KithCore
import People
import SQLiteStore

/// Accounts, statements, the movement journal, reversals and expiry.
enum LedgerRoutes {
    /// `GET /v1/credit-accounts?person_id=|organisation_id=`: find an account by its owner. A
    /// volunteer sees their own; an organisation its own; staff any in their area.
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["person_id", "organisation_id"])
        let organisationId = request.query.string("organisation_id")
        let personId = request.query.string("person_id") ?? (organisationId == nil ? CreditAccess.selfPerson(context.principal) : nil)
        guard (personId == nil) != (organisationId == nil) else {
            throw Problem.badRequest("Give person_id or organisation_id.", errors: [FieldError("person_id", "give exactly one of person_id and organisation_id")])
        }
        let accounts = try context.read { db -> [JSON] in
            let found = try personId.map { try Ledger.findAccount(db, personId: $0) } ?? organisationId.flatMap { try Ledger.findAccount(db, organisationId: $0) }
            guard let found, let visible = try? CreditAccess.account(db, id: found.id, for: context.principal) else { return [] }
            return [try summary(db, visible)]
        }
        return .json(["data": .array(accounts), "next_cursor": .null])
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db in try summary(db, try CreditAccess.account(db, id: request.parameter("id"), for: context.principal)) }
        return .json(json)
    }

    /// The account with what came in and went out, by kind.
    static func summary(_ db: Database, _ account: Ledger.Account) throws -> JSON {
        var totals: [(String, JSON)] = []
        try db.forEach("""
            SELECT kind, coalesce(sum(CASE WHEN to_account = ?1 THEN credits END), 0), coalesce(sum(CASE WHEN from_account = ?1 THEN credits END), 0)
            FROM credit_movements WHERE to_account = ?1 OR from_account = ?1 GROUP BY kind ORDER BY kind
            """, [account.id]) { totals.append(($0.string(0), ["in": .int($0.int(1)), "out": .int($0.int(2))])) }
        guard case .object(var pairs) = account.json else { return account.json }
        pairs.append(("totals", .object(totals)))
        return .object(pairs)
    }

    /// `GET /v1/credit-accounts/{id}/statement?from=&to=`: the account's movements in date order
    /// with the running balance, the opening and closing balance; `format=csv` (or
    /// `Accept: text/csv`) for a spreadsheet.
    @Sendable static func statement(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["from", "to", "format"])
        let from = try request.query.date("from")
        let to = try request.query.date("to")
        let format = try request.query.oneOf("format", ["json", "csv"])
        if let from, let to, from > to { throw Problem.badRequest("from must not be after to.", errors: [FieldError("to", "must not be before from")]) }
        let csv = format == "csv" || (format == nil && request.header("accept")?.contains("text/csv") == true)
        let (account, opening, lines) = try context.read { db -> (Ledger.Account, Int, [StatementLine]) in
            let account = try CreditAccess.account(db, id: request.parameter("id"), for: context.principal)
            var opening = 0
            var lines: [StatementLine] = []
            // Running balance over the whole history, so a range starts from the right figure.
            try db.forEach("""
                SELECT id, at, kind, source_type, source_id, reason,
                       CASE WHEN to_account = ?1 THEN credits ELSE 0 END, CASE WHEN from_account = ?1 THEN credits ELSE 0 END,
                       CASE WHEN to_account = ?1 THEN from_account ELSE to_account END,
                       sum(CASE WHEN to_account = ?1 THEN credits ELSE -credits END) OVER (ORDER BY seq)
                FROM credit_movements WHERE to_account = ?1 OR from_account = ?1 ORDER BY seq
                """, [account.id]) { row in
                let day = String(row.string(1).prefix(10))
                if let from, day < from { opening = row.int(9); return }
                if let to, day > to { return }
                lines.append(StatementLine(movementId: row.string(0), at: row.string(1), kind: row.string(2), source: row.string(3),
                                           sourceId: row.string(4), reason: row.optionalString(5), creditsIn: row.int(6),
                                           creditsOut: row.int(7), counterparty: row.string(8), balance: row.int(9)))
            }
            return (account, opening, lines)
        }
        let closing = lines.last?.balance ?? opening
        if csv {
            var out = CSV.record(["movement_id", "at", "kind", "source", "source_id", "counterparty", "credits_in", "credits_out", "balance", "reason"])
            out += CSV.record(["", from ?? "", "opening", "", "", "", "", "", String(opening), ""])
            for l in lines {
                out += CSV.record([l.movementId, l.at, l.kind, l.source, l.sourceId, l.counterparty, String(l.creditsIn), String(l.creditsOut),
                                   String(l.balance), l.reason ?? ""])
            }
            var response = Response.text(out, contentType: "text/csv; charset=utf-8")
            response.headers.add("Content-Disposition", "attachment; filename=\"statement-\(account.id).csv\"")
            return response
        }
        return .json([
            "account_id": .string(account.id), "from": JSON(from), "to": JSON(to), "opening_balance": .int(opening),
            "closing_balance": .int(closing), "entries": .array(lines.map(\.json)),
        ])
    }

    struct StatementLine {
        var movementId, at, kind, source, sourceId: String
        var reason: String?
        var creditsIn, creditsOut: Int
        var counterparty: String
        var balance: Int

        var json: JSON {
            ["movement_id": .string(movementId), "at": .string(at), "kind": .string(kind),
             "source": ["type": .string(source), "id": .string(sourceId)], "counterparty": .string(counterparty),
             "credits_in": .int(creditsIn), "credits_out": .int(creditsOut), "balance": .int(balance), "reason": JSON(reason)]
        }
    }

    /// `GET /v1/credit-movements` (admins, officers): the journal, newest first.
    @Sendable static func movements(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "credit-movements", filters: ["kind", "account"], keyLength: 1)
        let kind = try request.query.oneOf("kind", Ledger.Kind.allCases.map(\.rawValue))
        let after = try page.afterInts()
        let rows = try context.read { db in
            let path = try CreditAccess.staffAreaPath(context.principal, db: db)
            return try db.query("""
                SELECT \(Ledger.movementColumns) FROM credit_movements
                WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR from_account = ?2 OR to_account = ?2) AND (?3 IS NULL OR seq < ?3)
                  AND (?5 IS NULL OR at >= ?5)
                  AND (\(CreditAccess.accountInScope("from_account", pathParameter: 6)) OR \(CreditAccess.accountInScope("to_account", pathParameter: 6)))
                ORDER BY seq DESC LIMIT ?4
                """, [kind, request.query.string("account"), after?.first, page.fetchLimit, page.updatedSince?.rfc3339, path], Ledger.movement)
        }
        let (items, next) = page.page(rows) { [.int($0.seq)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    /// `POST /v1/credit-movements/{id}/reverse` (admins, officers) with a reason: a correction is
    /// a new movement the other way, never an edit. Each movement is reversed at most once; a
    /// reversal that would overdraw (credits already spent) is refused.
    @Sendable static func reverse(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let reason = input.string("reason", required: true, maxLength: 500)
        try input.finish()
        guard let reason else { throw Problem.internalError() }
        let reversal = try context.write { tx -> Ledger.Movement in
            let path = try CreditAccess.staffAreaPath(context.principal, db: tx.db)
            guard let original = try Ledger.findMovement(tx.db, id: request.parameter("id")), try tx.db.scalarInt("""
                SELECT count(*) FROM credit_movements WHERE id = ?1
                  AND (\(CreditAccess.accountInScope("from_account", pathParameter: 2)) OR \(CreditAccess.accountInScope("to_account", pathParameter: 2)))
                """, [request.parameter("id"), path]) == 1 else {
                throw Problem.notFound("No credit movement \(request.parameter("id")).")
            }
            guard original.kind != "reversal" else { throw Problem.conflict("A reversal is not reversed; record a new movement instead.") }
            if try tx.db.scalarInt("SELECT count(*) FROM credit_movements WHERE reverses = ?", [original.id]) ?? 0 > 0 {
                throw Problem.conflict("Movement \(original.id) has already been reversed.")
            }
            if original.sourceType == "booking" {
                throw Problem.conflict("A booking's credits come back by cancelling the booking (POST /v1/bookings/\(original.sourceId)/cancel).")
            }
            let reversal = try Ledger.move(tx, .reversal, from: original.to, to: original.from, credits: original.credits,
                                           source: (type: "reversal", id: original.id), reverses: original.id, reason: reason)
            // Hours whose credits are taken back no longer count (nor towards the daily maximum).
            if original.sourceType == "volunteering" {
                try tx.db.run("UPDATE volunteering SET status = 'reversed', updated_at = ?, version = version + 1 WHERE id = ?",
                              [tx.now.rfc3339, original.sourceId])
                try tx.audit("reverse", "volunteering", original.sourceId, changes: ["status"])
            }
            return reversal
        }
        return .json(reversal.json, status: 201)
    }

    /// `POST /v1/credit-expiry` (admins): where the scheme sets an expiry, credits a person has
    /// held longer than that go back to the issuing account by expiry movements (spending uses
    /// the oldest credits first, so what has expired is the balance beyond what came in within
    /// the period). Nothing is deleted; running it again at once expires nothing more.
    @Sendable static func expire(_ request: Request, _ context: RequestContext) throws -> Response {
        try Input.optionalObject(from: request).finish()
        try CreditAccess.requireUnscopedAdmin(context.principal)
        let result = try context.write { tx -> JSON in
            guard let months = try CreditSettings.load(tx.db).expiryMonths else {
                throw Problem.conflict("Credits do not expire in this scheme; set expiry_months in /v1/credit-settings first.")
            }
            let cutoff = monthsBefore(tx.now, months)
            var expired: [(String, Int)] = []
            try tx.db.forEach("""
                SELECT a.id, a.balance - coalesce((SELECT sum(credits) FROM credit_movements m WHERE m.to_account = a.id AND m.at >= ?1), 0)
                FROM credit_accounts a WHERE a.kind = 'person' AND a.balance > 0
                """, [cutoff]) { row in
                if row.int(1) > 0 { expired.append((row.string(0), row.int(1))) }
            }
            for (account, credits) in expired {
                try Ledger.move(tx, .expiry, from: account, to: Ledger.issuingAccount, credits: credits,
                                source: (type: "expiry", id: "\(account):\(tx.now.rfc3339)"), reason: "held longer than \(months) months")
            }
            return ["accounts": .int(expired.count), "credits": .int(expired.reduce(0) { $0 + $1.1 }), "cutoff": .string(cutoff)]
        }
        return .json(result)
    }

    /// The same moment `months` calendar months earlier (the day clamped to the month's end).
    static func monthsBefore(_ time: Timestamp, _ months: Int) -> String {
        let text = time.rfc3339
        guard let year = Int(text.prefix(4)), let month = Int(text.dropFirst(5).prefix(2)), let day = Int(text.dropFirst(8).prefix(2)) else {
            return text
        }
        let index = year * 12 + (month - 1) - months
        let (y, m) = (index / 12, index % 12 + 1)
        let lengths = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(min(day, lengths[m - 1])))" + text.dropFirst(10)
    }
}
