import Areas
import KithCore
import SQLiteStore

/// How groups arrive and stay current: the public survey, partner systems' bulk upserts, CSV
/// import and export, and the yearly re-confirmation link.
enum IntakeRoutes {
    // MARK: - Survey

    /// `POST /v1/groups/survey`: a group registers itself. It lands as `pending` for an officer to
    /// verify, flagged if it looks like a group already on the map. Abuse limits: a per-address
    /// rate limit, a 16 KiB body limit, field length limits, and a honeypot field (`homepage`)
    /// that people never see and bots fill in: such submissions are answered alike but not kept.
    @Sendable static func survey(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let honeypot = input.string("homepage", minLength: 0, maxLength: 2000)
        let draft = GroupDraft.read(input, audience: .survey, creating: true)
        let consent = input.bool("consent_to_store", required: true)
        if consent == false { input.fail("consent_to_store", "must be true: we can only keep details you agree we may store") }
        try input.finish()
        if let honeypot, !honeypot.isEmpty {
            return accepted(reference: Identifier.make("grp", at: context.now))
        }
        let group = try context.write { tx in
            try Editor.create(tx, draft, source: "survey", status: "pending", principal: nil)
        }
        return accepted(reference: group.id)
    }

    private static func accepted(reference: String) -> Response {
        .json(["reference": .string(reference), "status": "pending",
               "message": "Thank you. A council officer will check your group's details before it appears on the map."],
              status: 202)
    }

    // MARK: - Partner systems

    /// `POST /v1/groups/bulk` with `{"groups": [...]}` (up to 500), each with the partner's own
    /// `external_id`: new ones are created as pending, known ones updated. All or nothing; sending
    /// the same batch again changes nothing. External ids are kept per partner (by its key's name).
    @Sendable static func bulk(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let drafts = input.objects("groups", required: true, maxCount: 500) { item in
            GroupDraft.read(item, audience: .partner, creating: false)
        }
        try input.finish()
        guard let drafts, let system = context.principal?.name else { throw Problem.internalError() }
        var seen = Set<String>()
        for (i, draft) in drafts.enumerated() where !seen.insert(draft.externalId ?? "").inserted {
            throw Problem.invalid("groups[\(i)].external_id", "appears twice in this batch")
        }
        let results = try context.write { tx -> [JSON] in
            var results: [JSON] = []
            for (i, draft) in drafts.enumerated() {
                guard let externalId = draft.externalId else { continue }
                do {
                    if let current = try GroupStore.find(tx.db, externalSystem: system, externalId: externalId) {
                        if current.status == "merged" || current.status == "closed" {
                            results.append(["external_id": .string(externalId), "id": .string(current.mergedInto ?? current.id),
                                            "outcome": "skipped", "reason": .string("the group is \(current.status)")])
                            continue
                        }
                        let updated = try Editor.update(tx, current, with: draft, principal: context.principal)
                        results.append(["external_id": .string(externalId), "id": .string(updated.id),
                                        "outcome": updated.version == current.version ? "unchanged" : "updated"])
                    } else {
                        let missing = [("name", draft.name), ("kind", draft.kind), ("based_in", draft.basedIn)].filter { $0.1 == nil }
                        if !missing.isEmpty { throw Problem.validation(missing.map { FieldError($0.0, "is required for a new group") }) }
                        let created = try Editor.create(tx, draft, source: "partner", status: "pending", principal: context.principal,
                                                        externalSystem: system)
                        results.append(["external_id": .string(externalId), "id": .string(created.id), "outcome": "created",
                                        "possible_duplicates": JSON(created.possibleDuplicates)])
                    }
                } catch let problem as Problem where problem.status == 422 {
                    throw Problem.validation(problem.errors.map { FieldError("groups[\(i)].\($0.field)", $0.message) })
                }
            }
            return results
        }
        return .json(["results": .array(results)])
    }

    // MARK: - CSV

    static let csvColumns = [
        "id", "name", "description", "kind", "based_in", "operates_in", "activities", "beneficiaries", "languages",
        "needs", "offers", "contact_name", "contact_email", "contact_phone", "contact_public", "website",
        "meeting_pattern", "volunteers", "people_per_week", "founded", "newly_formed", "known_to_council",
        "works_with_council", "scale", "open_to_all", "latitude", "longitude", "postcode_outward", "charity_number",
        "company_number", "status", "source", "last_confirmed_at", "created_at", "updated_at",
    ]

    /// `GET /v1/groups/export`: every group the officer may see, as CSV (lists joined with `;`).
    /// Takes the same filters as the list.
    @Sendable static func exportCSV(_ request: Request, _ context: RequestContext) throws -> Response {
        let query = request.query
        try query.allowOnly(GroupSearch.filterParameters.subtracting(["near", "radius_km", "sort", "q"]).union(["updated_since"]))
        var out = CSV.record(csvColumns)
        try context.read { db in
            var search = try GroupRoutes.searchFrom(query, page: PageRequest(limit: 1), context: context, db: db)
            search.updatedSince = try query.timestamp("updated_since")
            search.sort = .name
            var after: [JSON]?
            while true {
                let hits = try search.run(db, after: after, limit: 500)
                for hit in hits { out += CSV.record(row(hit.group)) }
                guard hits.count == 500, let last = hits.last else { break }
                after = [last.sortKey, .string(last.group.id)]
            }
        }
        var response = Response.text(out, contentType: "text/csv; charset=utf-8")
        response.headers.add("Content-Disposition", "attachment; filename=\"groups-\(context.now.date).csv\"")
        return response
    }

    private static func row(_ g: Group) -> [String] {
        func flag(_ b: Bool) -> String { b ? "true" : "false" }
        func list(_ values: [String]) -> String { values.joined(separator: ";") }
        return [
            g.id, g.name, g.description, g.kind, g.basedIn ?? "", list(g.operatesIn), list(g.activities), list(g.beneficiaries),
            list(g.languages), list(g.needs), list(g.offers), g.contactName ?? "", g.contactEmail ?? "", g.contactPhone ?? "",
            flag(g.contactPublic), g.website ?? "", g.meetingPattern ?? "", g.volunteers.map(String.init) ?? "",
            g.peoplePerWeek.map(String.init) ?? "", g.founded ?? "", flag(g.newlyFormed), flag(g.knownToCouncil),
            flag(g.worksWithCouncil), g.scale ?? "", flag(g.openToAll), g.latitude.map { "\($0)" } ?? "",
            g.longitude.map { "\($0)" } ?? "", g.postcodeOutward ?? "", g.charityNumber ?? "", g.companyNumber ?? "",
            g.status, g.source, g.lastConfirmedAt, g.createdAt, g.updatedAt,
        ]
    }

    /// `POST /v1/groups/import` (`text/csv`, the export's columns; only name, kind and based_in
    /// are required): rows with an `id` update that group, rows without create one (verified).
    /// Every row is checked; if any is rejected nothing is imported and the report says why.
    @Sendable static func importCSV(_ request: Request, _ context: RequestContext) throws -> Response {
        let mediaType = request.header("content-type")?.split(separator: ";").first.map { $0.trimmingOWS().lowercased() }
        guard mediaType == "text/csv" else { throw Problem.unsupportedMediaType("Send the groups as text/csv with the export's header line.") }
        let (_, rows) = try CSV.records(String(decoding: request.body, as: UTF8.self), required: ["name", "kind", "based_in"],
                                        optional: csvColumns)
        guard rows.count <= 5000 else { throw Problem.invalid("body", "has \(rows.count) rows; import at most 5000 at a time") }
        // Each row becomes the same JSON the API takes, so it meets the same validation.
        var parsed: [(line: Int, id: String?, draft: GroupDraft)] = []
        var rejected: [JSON] = []
        for row in rows {
            let input = Input(object: jsonObject(row.values), prefix: "")
            let draft = GroupDraft.read(input, audience: .officer, creating: row.values["id", default: ""].isEmpty)
            do { try input.finish() } catch let problem as Problem {
                rejected.append(["row": .int(row.line), "errors": .array(problem.errors.map { ["field": .string($0.field), "message": .string($0.message)] })])
                continue
            }
            parsed.append((row.line, row.values["id"].flatMap { $0.isEmpty ? nil : $0 }, draft))
        }
        if !rejected.isEmpty { throw rejection(rejected, total: rows.count) }
        let (created, updated) = try context.write { tx -> (Int, Int) in
            var created = 0, updated = 0
            var failures: [JSON] = []
            for item in parsed {
                do {
                    if let id = item.id {
                        let current = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: false)
                        if try Editor.update(tx, current, with: item.draft, principal: context.principal).version != current.version { updated += 1 }
                    } else {
                        _ = try Editor.create(tx, item.draft, source: "import", status: "verified", principal: context.principal)
                        created += 1
                    }
                } catch let problem as Problem {
                    let errors = problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
                    failures.append(["row": .int(item.line), "errors": .array(errors.map { ["field": .string($0.field), "message": .string($0.message)] })])
                }
            }
            if !failures.isEmpty { throw rejection(failures, total: rows.count) }
            return (created, updated)
        }
        // A big load changes the shape of the data: let the planner see it now, not at the next restart.
        if rows.count >= 1000 { try context.refreshStatistics() }
        return .json(["rows": .int(rows.count), "created": .int(created), "updated": .int(updated), "rejected": .array([])])
    }

    private static func rejection(_ rejected: [JSON], total: Int) -> Problem {
        Problem(status: 422, slug: "validation", title: "The input is not valid",
                detail: "\(rejected.count) of \(total) rows were rejected, so nothing was imported.",
                extensions: [("rejected", .array(rejected))])
    }

    /// A CSV row as the JSON object the API would take: lists split on `;`, flags and numbers typed.
    private static func jsonObject(_ values: [String: String]) -> [(String, JSON)] {
        var pairs: [(String, JSON)] = []
        var contact: [(String, JSON)] = []
        var size: [(String, JSON)] = []
        var location: [(String, JSON)] = []
        let lists: Set<String> = ["operates_in", "activities", "beneficiaries", "languages", "needs", "offers"]
        let flags: Set<String> = ["newly_formed", "known_to_council", "works_with_council", "open_to_all"]
        let ignored: Set<String> = ["id", "status", "source", "last_confirmed_at", "created_at", "updated_at"]
        for (column, raw) in values where !raw.isEmpty && !ignored.contains(column) {
            // Undo the export's guard against spreadsheet formulas ('+44 …, '=…).
            let value = raw.count > 1 && raw.hasPrefix("'") && "=+-@\t\r".contains(raw.dropFirst().first ?? " ") ? String(raw.dropFirst()) : raw
            func typed() -> JSON {
                if value == "true" { return .bool(true) }
                if value == "false" { return .bool(false) }
                return Double(value).map { .double($0) } ?? .string(value)
            }
            switch column {
            case "contact_name", "contact_email", "contact_phone": contact.append((String(column.dropFirst(8)), .string(value)))
            case "contact_public": contact.append(("public", typed()))
            case "volunteers", "people_per_week": size.append((column, Int(value).map { .int($0) } ?? .string(value)))
            case "latitude", "longitude": location.append((column, typed()))
            case _ where lists.contains(column):
                pairs.append((column, JSON(value.split(separator: ";").map { $0.trimmingOWS() }.filter { !$0.isEmpty })))
            case _ where flags.contains(column): pairs.append((column, typed()))
            default: pairs.append((column, .string(value)))
            }
        }
        if !contact.isEmpty { pairs.append(("contact", .object(contact))) }
        if !size.isEmpty { pairs.append(("size", .object(size))) }
        if !location.isEmpty { pairs.append(("location", .object(location))) }
        return pairs
    }

    // MARK: - Yearly re-confirmation

    /// `GET /v1/groups/due-for-confirmation`: verified groups whose details were last confirmed a
    /// year ago or more (or will be within `within_days`), oldest first.
    @Sendable static func dueForConfirmation(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "groups-due", filters: ["within_days", "area"], keyLength: 2)
        let within = Int64(try request.query.int("within_days", in: 0...365) ?? 0)
        let cutoff = context.now.adding(seconds: within * 86_400 - Rules.confirmationIntervalSeconds)
        let after = try page.afterStrings()
        let groups = try context.read { db -> [Group] in
            let scope = try Visibility.scopePath(context.principal, db: db)
            var areaPath: String?
            if let area = request.query.string("area") {
                guard let path = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).") }
                areaPath = path
            }
            var groups = try db.query("""
                SELECT \(GroupStore.columns) FROM groups g
                WHERE g.status = 'verified' AND g.last_confirmed_at <= ?1
                  AND \(Areas.within("g.based_in", "?2"))
                  AND \(Areas.within("g.based_in", "?3"))
                  AND (?4 IS NULL OR (g.last_confirmed_at, g.id) > (?4, ?5))
                ORDER BY g.last_confirmed_at, g.id LIMIT ?6
                """, [cutoff.rfc3339, scope, areaPath, after?.first, after?.last, page.fetchLimit], GroupStore.group)
            try GroupStore.attachFacets(db, to: &groups)
            return groups
        }
        let (items, next) = page.page(groups) { [.string($0.lastConfirmedAt), .string($0.id)] }
        return .page(items.map { $0.json(.full) }, nextCursor: next)
    }

    /// `POST /v1/groups/{id}/confirmation-link`: a single-use token (valid 30 days) to send to the
    /// group's contact, who confirms or corrects the details without an account.
    @Sendable static func confirmationLink(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let token = Identifier.secret(prefix: "conf_")
        let expires = context.now.adding(seconds: 30 * 86_400)
        try context.write { tx in
            let group = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: false)
            guard group.status == "verified" || group.status == "inactive" else {
                throw Problem.conflict("Only verified or inactive groups are asked to re-confirm; this one is \(group.status).")
            }
            // A new link replaces any earlier one that was not used.
            try tx.db.run("UPDATE group_confirmation_tokens SET expires_at = ?1 WHERE group_id = ?2 AND used_at IS NULL AND expires_at > ?1",
                          [tx.now.rfc3339, id])
            try GroupStore.insertToken(tx, hash: Digest.sha256Hex(token), groupId: id, expiresAt: expires)
            try tx.audit("create", "group_confirmation_link", id)
        }
        var response = Response.json(["group_id": .string(id), "token": .string(token), "confirm_path": .string("/v1/groups/\(id)/confirm"),
                                      "expires_at": .string(expires.rfc3339)], status: 201)
        response.headers.add("Location", "/v1/groups/\(id)/confirm")
        return response
    }

    /// `POST /v1/groups/{id}/confirm` with `{"token": ..., "changes": {...}}`: the group confirms its
    /// details are current, correcting any it sends. The token works once.
    @Sendable static func confirm(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let token = input.string("token", required: true, maxLength: 200)
        let draft = input.object("changes").map { GroupDraft.read($0, audience: .survey, creating: false) }
        try input.finish()
        guard let token else { throw Problem.internalError() }
        let group = try context.write { tx -> Group in
            guard try GroupStore.useToken(tx, hash: Digest.sha256Hex(token), groupId: id),
                  let current = try GroupStore.find(tx.db, id: id) else {
                throw Problem.forbidden("This confirmation link is not valid: it may have been used already or have expired.")
            }
            var group = current
            if let draft { group = try Editor.update(tx, current, with: draft, principal: nil) }
            let before = group
            group.lastConfirmedAt = tx.now.rfc3339
            if group.status == "inactive" { group.status = "verified" }
            return try Editor.save(tx, group, from: before, action: "confirm")
        }
        return .json(["id": .string(group.id), "status": .string(group.status), "last_confirmed_at": .string(group.lastConfirmedAt)])
    }
}
