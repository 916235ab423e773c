import Areas
import Groups
import KithCore
import Networks
import SQLiteStore
import TimeCredits

/// Applications: drafts, submission with eligibility, withdrawal, endorsement, the status trail.
enum ApplicationRoutes {
    struct Draft {
        var roundId: String?
        var groupId: String?
        var partnerGroupIds: [String]?
        var title: String?
        var summary: String?
        var amountRequestedPence: Int?
        var budgetLines: [(item: String, amountPence: Int)]?
        var startsOn: String?
        var endsOn: String?
        var areaId: String?
        var beneficiaries: [String]?
        var expectedReach: Int?
        var priorityIds: [String]?
        var matchFundingPence: Int?
        var openToAll: Bool?
        var sustainability: String?

        static func read(_ input: Input, creating: Bool) -> Draft {
            var d = Draft()
            if creating {
                d.roundId = input.string("round_id", required: true, maxLength: 60)
                d.groupId = input.string("group_id", maxLength: 60)
            }
            d.partnerGroupIds = input.strings("partner_group_ids", maxCount: 10, maxLength: 60)
            d.title = input.string("title", required: creating, maxLength: 200)
            d.summary = input.text("summary", maxLength: 5000)
            d.amountRequestedPence = input.int("amount_requested_pence", required: creating, in: 1...1_000_000_000_00)
            d.budgetLines = input.objects("budget_lines", maxCount: 50) { line -> (item: String, amountPence: Int)? in
                let item = line.string("item", required: true, maxLength: 200)
                let amount = line.int("amount_pence", required: true, in: 1...1_000_000_000_00)
                guard let item, let amount else { return nil }
                return (item: item, amountPence: amount)
            }
            d.startsOn = input.date("starts_on")
            d.endsOn = input.date("ends_on")
            if let s = d.startsOn, let e = d.endsOn, s > e { input.fail("ends_on", "must not be before starts_on") }
            d.areaId = input.string("area_id", maxLength: 60)
            d.beneficiaries = input.choices("beneficiaries", from: Vocabulary.values(Vocabulary.beneficiaries))
            d.expectedReach = input.int("expected_reach", in: 0...10_000_000)
            d.priorityIds = input.strings("priority_ids", maxCount: 20, maxLength: 60)
            d.matchFundingPence = input.int("match_funding_pence", in: 0...1_000_000_000_00)
            d.openToAll = input.bool("open_to_all")
            d.sustainability = input.text("sustainability", maxLength: 5000)
            return d
        }

        func apply(to a: inout Application) {
            if let v = partnerGroupIds { a.partnerGroupIds = v }
            if let v = title { a.title = v }
            if let v = summary { a.summary = v }
            if let v = amountRequestedPence { a.amountRequestedPence = v }
            if let v = budgetLines { a.budgetLines = v }
            if let v = startsOn { a.startsOn = v }
            if let v = endsOn { a.endsOn = v }
            if let v = areaId { a.areaId = v }
            if let v = beneficiaries { a.beneficiaries = v }
            if let v = expectedReach { a.expectedReach = v }
            if let v = priorityIds { a.priorityIds = v }
            if let v = matchFundingPence { a.matchFundingPence = v }
            if let v = openToAll { a.openToAll = v }
            if let v = sustainability { a.sustainability = v }
        }

        func check(_ db: Database, applicant: String) throws {
            for (i, partner) in (partnerGroupIds ?? []).enumerated() {
                guard partner != applicant, try Directory.find(db, id: partner) != nil else {
                    throw Problem.invalid("partner_group_ids[\(i)]", "is not another group in the directory")
                }
            }
            if let areaId, try Areas.find(db, id: areaId) == nil { throw Problem.invalid("area_id", "is not an area") }
            for (i, priority) in (priorityIds ?? []).enumerated() where try NetworkDirectory.priority(db, id: priority)?.adopted != true {
                throw Problem.invalid("priority_ids[\(i)]", "is not an adopted network priority")
            }
        }
    }

    static func save(_ tx: Transaction, _ a: Application, isNew: Bool) throws {
        let values: [any SQLBindable] = [
            JSON(a.partnerGroupIds).encodedString(), a.title, a.summary, a.amountRequestedPence, a.budgetLinesJSON.encodedString(), a.startsOn,
            a.endsOn, a.areaId, JSON(a.beneficiaries).encodedString(), a.expectedReach, JSON(a.priorityIds).encodedString(), a.matchFundingPence,
            a.openToAll, a.sustainability, a.updatedAt,
        ]
        if isNew {
            try tx.db.run("""
                INSERT INTO applications(partner_group_ids, title, summary, amount_requested_pence, budget_lines, starts_on, ends_on, area_id,
                    beneficiaries, expected_reach, priority_ids, match_funding_pence, open_to_all, sustainability, updated_at,
                    id, round_id, group_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?)
                """, values + [a.id, a.roundId, a.groupId, a.createdAt])
        } else {
            guard try tx.db.run("""
                UPDATE applications SET partner_group_ids = ?, title = ?, summary = ?, amount_requested_pence = ?, budget_lines = ?, starts_on = ?,
                    ends_on = ?, area_id = ?, beneficiaries = ?, expected_reach = ?, priority_ids = ?, match_funding_pence = ?, open_to_all = ?,
                    sustainability = ?, updated_at = ?, version = version + 1
                WHERE id = ? AND version = ? AND status = 'draft'
                """, values + [a.id, a.version]) == 1 else { throw Problem.conflict("Application \(a.id) changed meanwhile; fetch it again.") }
        }
    }

    /// `POST /v1/applications`: a group starts a draft with its own key.
    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = Draft.read(input, creating: true)
        try input.finish()
        guard let groupId = FundingAccess.ownGroup(context.principal) else { throw Problem.forbidden("A group applies with its own key (group:<id>).") }
        guard let roundId = draft.roundId, let title = draft.title, let amount = draft.amountRequestedPence else { throw Problem.internalError() }
        if let asked = draft.groupId, asked != groupId { throw Problem.invalid("group_id", "must be your own group, \(groupId)") }
        let (application, rate) = try context.write { tx -> (Application, Int) in
            guard let round = try Round.find(tx.db, id: roundId) else { throw Problem.invalid("round_id", "is not a round") }
            guard let group = try Directory.find(tx.db, id: groupId) else { throw Problem.invalid("group_id", "is not a group") }
            // Only verified groups in the directory may apply.
            guard group.status == "verified" else {
                throw Problem(status: 422, slug: "group-not-verified", title: "The group is not verified",
                              detail: "\(group.name) is \(group.status) in the directory; only verified groups may apply. An officer verifies groups.",
                              errors: [FieldError("group_id", "is not a verified group (status \(group.status))")])
            }
            try draft.check(tx.db, applicant: groupId)
            let now = tx.now.rfc3339
            var a = Application.blank(id: Identifier.make("app", at: tx.now), roundId: round.id, groupId: groupId, title: title,
                                          amount: amount, now: now)
            draft.apply(to: &a)
            if a.areaId == nil { a.areaId = group.basedIn }
            try save(tx, a, isNew: true)
            try tx.db.run("INSERT INTO application_events(application_id, from_status, to_status, at, key_id) VALUES (?, NULL, 'draft', ?, ?)",
                          [a.id, now, context.principal?.keyId])
            try tx.audit("create", "application", a.id, changes: ["title", "amount_requested_pence", "partner_group_ids", "budget_lines"])
            guard let created = try Application.find(tx.db, id: a.id) else { throw Problem.internalError() }
            return (created, round.inKindRatePence)
        }
        return .created(application.json(inKindRatePence: rate), location: "/v1/applications/\(application.id)", version: application.version)
    }

    /// `PATCH /v1/applications/{id}`: only drafts change, and only by their group (or an officer).
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = Draft.read(input, creating: false)
        try input.finish()
        let (application, rate) = try context.write { tx -> (Application, Int) in
            let (current, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            guard relation == .applicant else { throw Problem.forbidden("Only the applicant group edits its application.") }
            try ETag.check(request, currentVersion: current.version)
            guard current.status == "draft" else { throw Problem.conflict("Only a draft changes; this application is \(current.status).") }
            try draft.check(tx.db, applicant: current.groupId)
            var next = current
            draft.apply(to: &next)
            next.updatedAt = tx.now.rfc3339
            try save(tx, next, isNew: false)
            try tx.audit("update", "application", current.id, changes: ["draft"])
            guard let saved = try Application.find(tx.db, id: current.id), let round = try Round.find(tx.db, id: saved.roundId) else {
                throw Problem.internalError()
            }
            return (saved, round.inKindRatePence)
        }
        return .resource(application.json(inKindRatePence: rate), version: application.version)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let (application, rate) = try context.read { db -> (Application, Int) in
            let (application, _) = try FundingAccess.application(db, id: request.parameter("id"), principal: context.principal)
            return (application, try Round.find(db, id: application.roundId)?.inKindRatePence ?? 0)
        }
        return .resource(application.json(inKindRatePence: rate), version: application.version)
    }

    /// `GET /v1/applications?round=&status=&group=`: staff see all in their area, a group its own
    /// (and those it partners in), assessors their rounds' submitted applications.
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "applications", filters: ["round", "status", "group"], keyLength: 2)
        let status = try request.query.oneOf("status", Application.statuses)
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            // What the caller may see, in SQL so pages are whole: their group's applications (and,
            // once submitted, those it partners in); for staff the submitted ones of groups in their
            // area; for assessors the submitted ones of their rounds.
            let own = FundingAccess.ownGroup(context.principal)
            let staffPath = FundingAccess.isStaff(context.principal) ? try FundingAccess.staffAreaPath(context.principal, db: db) : nil
            return try db.query("""
                SELECT \(Application.columns) FROM applications a
                WHERE (?1 IS NULL OR a.round_id = ?1) AND (?2 IS NULL OR a.status = ?2) AND (?3 IS NULL OR a.group_id = ?3)
                  AND (?4 IS NULL OR (a.created_at, a.id) > (?4, ?5)) AND (?7 IS NULL OR a.updated_at >= ?7)
                  AND ((?8 IS NOT NULL AND a.group_id = ?8)
                       OR (a.status <> 'draft' AND (
                            (?8 IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(a.partner_group_ids) p WHERE p.value = ?8))
                            OR (?9 = 1 AND \(FundingAccess.groupInScope("a.group_id", pathParameter: 10)))
                            OR a.round_id IN (SELECT round_id FROM round_assessors WHERE key_id = ?11))))
                ORDER BY a.created_at, a.id LIMIT ?6
                """, [request.query.string("round"), status, request.query.string("group"), after?.first, after?.last,
                      page.fetchLimit, page.updatedSince?.rfc3339, own, FundingAccess.isStaff(context.principal), staffPath,
                      context.principal?.keyId], Application.init(row:))
                .map { $0.json(inKindRatePence: try Round.find(db, id: $0.roundId)?.inKindRatePence ?? 0) }
        }
        let (items, next) = page.page(rows) { [$0["created_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    /// `POST /v1/applications/{id}/submit`: inside the round's dates only; eligibility is checked
    /// at once and the application becomes eligible, or ineligible with every failing rule named.
    /// Volunteer hours recorded in Time Credits for the group over the past year are declared as
    /// in-kind match funding, valued at the round's hourly rate.
    @Sendable static func submit(_ request: Request, _ context: RequestContext) throws -> Response {
        try Input.optionalObject(from: request).finish()
        let (application, rate) = try context.write { tx -> (Application, Int) in
            let (current, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            guard relation == .applicant else { throw Problem.forbidden("Only the applicant group submits its application.") }
            try ETag.check(request, currentVersion: current.version)
            guard let round = try Round.find(tx.db, id: current.roundId), let group = try Directory.find(tx.db, id: current.groupId) else {
                throw Problem.internalError()
            }
            try Transitions.check(from: current.status, to: "submitted")
            let today = tx.now.date
            guard round.isOpen(on: today) else {
                throw Problem(status: 409, slug: "round-closed", title: "The round is not open",
                              detail: "\(round.name) takes applications from \(round.opensOn) to \(round.closesOn); today is \(today).")
            }
            guard group.status == "verified" else {
                throw Problem(status: 409, slug: "group-not-verified", title: "The group is not verified",
                              detail: "\(group.name) is \(group.status) in the directory; only verified groups may apply.")
            }
            let yearAgo = String(Int(today.prefix(4)).map { String($0 - 1) } ?? "") + today.dropFirst(4)
            let hours = try CreditsDirectory.approvedHours(tx.db, groupId: group.id, from: yearAgo, to: today)
            try tx.db.run("UPDATE applications SET in_kind_hours = ? WHERE id = ?", [hours, current.id])
            let submitted = try Transitions.move(tx, current, to: "submitted", reason: nil)
            let failures = try Eligibility.failures(tx.db, submitted, round: round, group: group)
            try tx.db.run("UPDATE applications SET eligibility_failures = ? WHERE id = ?", [JSON(failures).encodedString(), current.id])
            let checked = try Transitions.move(tx, submitted, to: failures.isEmpty ? "eligible" : "ineligible",
                                               reason: failures.isEmpty ? "meets every eligibility rule" : failures.joined(separator: "; "))
            try Conflicts.detectAll(tx, application: checked)
            return (checked, round.inKindRatePence)
        }
        return .resource(application.json(inKindRatePence: rate), version: application.version)
    }

    /// `POST /v1/applications/{id}/withdraw` by the applicant, with a reason.
    @Sendable static func withdraw(_ request: Request, _ context: RequestContext) throws -> Response {
        let reason = try reasonInput(request, required: false)
        let (application, rate) = try context.write { tx -> (Application, Int) in
            let (current, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            guard relation == .applicant else { throw Problem.forbidden("Only the applicant group withdraws its application.") }
            try ETag.check(request, currentVersion: current.version)
            let moved = try Transitions.move(tx, current, to: "withdrawn", reason: reason)
            return (moved, try Round.find(tx.db, id: moved.roundId)?.inKindRatePence ?? 0)
        }
        return .resource(application.json(inKindRatePence: rate), version: application.version)
    }

    /// `POST /v1/applications/{id}/transitions` (officers): `{"to": "under_assessment" |
    /// "recommended" | "declined", "reason"}`. Awards go through `/award`.
    @Sendable static func transition(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let to = input.choice("to", from: ["under_assessment", "recommended", "declined"], required: true)
        let reason = input.string("reason", maxLength: 1000)
        if to == "declined" && reason == nil { input.fail("reason", "is required to decline: the group is told why") }
        try input.finish()
        guard let to else { throw Problem.internalError() }
        let (application, rate) = try context.write { tx -> (Application, Int) in
            let (current, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            try FundingAccess.requireStaff(relation, "move applications through assessment")
            try ETag.check(request, currentVersion: current.version)
            let moved = try Transitions.move(tx, current, to: to, reason: reason)
            return (moved, try Round.find(tx.db, id: moved.roundId)?.inKindRatePence ?? 0)
        }
        return .resource(application.json(inKindRatePence: rate), version: application.version)
    }

    static func reasonInput(_ request: Request, required: Bool) throws -> String? {
        let input = try Input.optionalObject(from: request)
        let reason = input.string("reason", required: required, maxLength: 1000)
        try input.finish()
        return reason
    }

    @Sendable static func events(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let rows = try context.read { db -> [JSON] in
            let (application, relation) = try FundingAccess.application(db, id: request.parameter("id"), principal: context.principal)
            guard relation != .partner else { throw Problem.forbidden("The applicant and officers see the status trail.") }
            return try db.query("SELECT from_status, to_status, at, key_id, reason FROM application_events WHERE application_id = ? ORDER BY seq",
                                [application.id]) {
                ["from": JSON($0.optionalString(0)), "to": .string($0.string(1)), "at": .string($0.string(2)), "key_id": JSON($0.optionalString(3)),
                 "reason": JSON($0.optionalString(4))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }

    /// `POST /v1/applications/{id}/endorsements`: a network the round asks (its facilitator)
    /// gives its view: support, strong support, or do not support.
    @Sendable static func endorse(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let networkId = input.string("network_id", required: true, maxLength: 60)
        let recommendation = input.choice("recommendation", from: ["support", "strong_support", "do_not_support"], required: true)
        let note = input.text("note", maxLength: 2000)
        try input.finish()
        guard let networkId, let recommendation else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            guard let application = try Application.find(tx.db, id: request.parameter("id")), application.status != "draft",
                  let round = try Round.find(tx.db, id: application.roundId) else {
                throw Problem.notFound("No application \(request.parameter("id")).")
            }
            guard round.networkIds.contains(networkId) else { throw Problem.invalid("network_id", "is not a network this round asks for its view") }
            guard try NetworkDirectory.actsFor(context.principal, networkId: networkId, db: tx.db) else {
                throw Problem.forbidden("Only the network's facilitators (or officers) give its view.")
            }
            guard ["submitted", "eligible", "under_assessment"].contains(application.status) else {
                throw Problem.conflict("Endorsements are given before a decision; this application is \(application.status).")
            }
            try tx.db.run("""
                INSERT INTO endorsements(application_id, network_id, recommendation, note, key_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(application_id, network_id) DO UPDATE SET recommendation = ?3, note = ?4, key_id = ?5, at = ?6
                """, [application.id, networkId, recommendation, note, context.principal?.keyId, tx.now.rfc3339])
            try tx.audit("endorse", "application", application.id, changes: ["endorsement"])
            try Conflicts.detectAll(tx, application: application)
            return ["application_id": .string(application.id), "network_id": .string(networkId), "recommendation": .string(recommendation),
                    "note": JSON(note), "at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }
}

extension Application {
    static func blank(id: String, roundId: String, groupId: String, title: String, amount: Int, now: String) -> Application {
        Application(id: id, roundId: roundId, groupId: groupId, partnerGroupIds: [], title: title, summary: "", amountRequestedPence: amount,
                    budgetLines: [], startsOn: nil, endsOn: nil, areaId: nil, beneficiaries: [], expectedReach: nil, priorityIds: [],
                    matchFundingPence: 0, inKindHours: 0, openToAll: false, sustainability: "", status: "draft", eligibilityFailures: [],
                    submittedAt: nil, decidedAt: nil, createdAt: now, updatedAt: now, version: 1)
    }
}
