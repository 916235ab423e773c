import KithCore
import SQLiteStore

/// Help for unsuccessful bidders: a maintained list of other funders, the feedback and
/// signposting an adviser gave, and the declines still waiting for that help.
enum SupportRoutes {
    static let funderColumns = "id, name, funds, where_, url, active, created_at, updated_at, version"

    static func funderJSON(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "name": .string(row.string(1)), "funds": .string(row.string(2)), "where": .string(row.string(3)),
         "url": JSON(row.optionalString(4)), "active": .bool(row.bool(5)), "created_at": .string(row.string(6)),
         "updated_at": .string(row.string(7)), "version": .int(row.int(8))]
    }

    /// `GET /v1/other-funders`: public, so any group can look for other funding.
    @Sendable static func listFunders(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "other-funders", filters: ["q"], keyLength: 2)
        let after = try page.afterStrings()
        let q = request.query.string("q")
        let rows = try context.read { db in
            try db.query("""
                SELECT \(funderColumns) FROM other_funders
                WHERE active = 1 AND (?1 IS NULL OR instr(lower(name || ' ' || funds || ' ' || where_), lower(?1)) > 0)
                  AND (?2 IS NULL OR (name, id) > (?2, ?3)) AND (?5 IS NULL OR updated_at >= ?5)
                ORDER BY name, id LIMIT ?4
                """, [q, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], funderJSON)
        }
        let (items, next) = page.page(rows) { [$0["name"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    @Sendable static func showFunder(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let json = try context.read({ db in
            try db.queryOne("SELECT \(funderColumns) FROM other_funders WHERE id = ?", [request.parameter("id")], funderJSON)
        }) else { throw Problem.notFound("No other funder \(request.parameter("id")).") }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    @Sendable static func createFunder(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 200)
        let funds = input.text("funds", required: true, maxLength: 2000)
        let whereText = input.string("where", required: true, maxLength: 500)
        let url = input.url("url")
        try input.finish()
        guard let name, let funds, let whereText else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let id = Identifier.make("ofd", at: tx.now)
            try tx.db.run("INSERT INTO other_funders(id, name, funds, where_, url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [id, name, funds, whereText, url, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "other_funder", id, changes: ["name", "funds", "where", "url"])
            return try tx.db.queryOne("SELECT \(funderColumns) FROM other_funders WHERE id = ?", [id], funderJSON) ?? .null
        }
        return .created(json, location: "/v1/other-funders/\(json["id"]?.stringValue ?? "")", version: 1)
    }

    @Sendable static func updateFunder(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", maxLength: 200)
        let funds = input.text("funds", maxLength: 2000)
        let whereText = input.string("where", maxLength: 500)
        let url = input.url("url")
        let active = input.bool("active")
        try input.finish()
        let json = try context.write { tx -> JSON in
            guard let current = try tx.db.queryOne("SELECT \(funderColumns) FROM other_funders WHERE id = ?", [request.parameter("id")], funderJSON) else {
                throw Problem.notFound("No other funder \(request.parameter("id")).")
            }
            try ETag.check(request, currentVersion: current["version"]?.intValue ?? 1)
            try tx.db.run("""
                UPDATE other_funders SET name = coalesce(?, name), funds = coalesce(?, funds), where_ = coalesce(?, where_), url = coalesce(?, url),
                    active = coalesce(?, active), updated_at = ?, version = version + 1 WHERE id = ?
                """, [name, funds, whereText, url, active, tx.now.rfc3339, request.parameter("id")])
            try tx.audit("update", "other_funder", request.parameter("id"),
                         changes: [("name", name), ("funds", funds), ("where", whereText), ("url", url)].compactMap { $0.1 == nil ? nil : $0.0 }
                            + (active == nil ? [] : ["active"]))
            return try tx.db.queryOne("SELECT \(funderColumns) FROM other_funders WHERE id = ?", [request.parameter("id")], funderJSON) ?? current
        }
        return .resource(json, version: json["version"]?.intValue ?? 1)
    }

    /// `POST /v1/applications/{id}/support` (officers, advisers): feedback for a declined or
    /// ineligible applicant and the other funders they were pointed to.
    @Sendable static func recordSupport(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let feedback = input.text("feedback", required: true, maxLength: 5000)
        let signposted = input.strings("signposted", maxCount: 20, maxLength: 60) ?? []
        let note = input.text("note", maxLength: 2000)
        try input.finish()
        guard let feedback else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let (application, relation) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            try FundingAccess.requireStaff(relation, "record support for applicants")
            guard ["declined", "ineligible"].contains(application.status) else {
                throw Problem.conflict("Support is for unsuccessful applicants; this application is \(application.status).")
            }
            for (i, funder) in signposted.enumerated()
                where try tx.db.scalarInt("SELECT count(*) FROM other_funders WHERE id = ? AND active = 1", [funder]) != 1 {
                throw Problem.invalid("signposted[\(i)]", "is not a funder in the list")
            }
            let id = Identifier.make("sup", at: tx.now)
            try tx.db.run("INSERT INTO applicant_support(id, application_id, feedback, signposted, note, key_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [id, application.id, feedback, JSON(signposted).encodedString(), note, context.principal?.keyId, tx.now.rfc3339])
            try tx.audit("support", "application", application.id, changes: ["feedback", "signposted"])
            return ["id": .string(id), "application_id": .string(application.id), "feedback": .string(feedback), "signposted": JSON(signposted),
                    "note": JSON(note), "key_id": JSON(context.principal?.keyId), "at": .string(tx.now.rfc3339)]
        }
        return .json(json, status: 201)
    }

    /// `GET /v1/applications/{id}/support`: what the applicant was told and pointed to (the
    /// applicant sees it too).
    @Sendable static func listSupport(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let rows = try context.read { db -> [JSON] in
            let (application, relation) = try FundingAccess.application(db, id: request.parameter("id"), principal: context.principal)
            guard relation == .staff || relation == .applicant else { throw Problem.forbidden("The applicant and officers see the support given.") }
            return try db.query("SELECT id, feedback, signposted, note, key_id, at FROM applicant_support WHERE application_id = ? ORDER BY at, id",
                                [application.id]) { row -> JSON in
                ["id": .string(row.string(0)), "application_id": .string(application.id), "feedback": .string(row.string(1)),
                 "signposted": (try? JSON.parse(row.string(2))) ?? .array([]), "note": relation == .staff ? JSON(row.optionalString(3)) : .null,
                 "key_id": relation == .staff ? JSON(row.optionalString(4)) : .null, "at": .string(row.string(5))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }

    /// `GET /v1/funding/unsupported-declines` (officers): declined or ineligible applications
    /// nobody has given feedback and signposting yet, oldest decision first.
    @Sendable static func unsupported(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["round"])
        let rows = try context.read { db -> [JSON] in
            let path = try FundingAccess.staffAreaPath(context.principal, db: db)
            return try db.query("""
                SELECT a.id, a.round_id, a.group_id, a.title, a.status, a.decided_at, julianday(?2) - julianday(a.decided_at)
                FROM applications a
                WHERE a.status IN ('declined', 'ineligible') AND (?1 IS NULL OR a.round_id = ?1)
                  AND NOT EXISTS (SELECT 1 FROM applicant_support s WHERE s.application_id = a.id)
                  AND \(FundingAccess.groupInScope("a.group_id", pathParameter: 3))
                ORDER BY a.decided_at, a.id
                """, [request.query.string("round"), context.now.rfc3339, path]) { row -> JSON in
                ["application_id": .string(row.string(0)), "round_id": .string(row.string(1)), "group_id": .string(row.string(2)),
                 "title": .string(row.string(3)), "status": .string(row.string(4)), "decided_at": JSON(row.optionalString(5)),
                 "days_waiting": .int(Int(row.optionalDouble(6) ?? 0))]
            }
        }
        return .json(["data": .array(rows), "next_cursor": .null])
    }
}
