import Areas
import KithCore
import SQLiteStore

/// Volunteers' DBS checks, references and training.
enum CheckRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let (checks, staff) = try context.read { db -> ([Check], Bool) in
            let person = try PeopleAccess.require(db, id: request.parameter("id"), for: context.principal)
            return (try PeopleStore.checks(db, personId: person.id), !PeopleAccess.isSelf(context.principal, person))
        }
        return .json(["data": .array(checks.map { $0.json(showCertificate: staff, today: context.now.date) }), "next_cursor": .null])
    }

    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let kind = input.choice("kind", from: Check.kinds, required: true)
        let detail = input.string("detail", required: true, maxLength: 100)
        let status = input.choice("status", from: Check.statuses) ?? "pending"
        let issuedOn = input.date("issued_on")
        let certificate = input.string("certificate", maxLength: 30)
        if kind == "dbs", let detail, !Check.dbsLevels.contains(detail) {
            input.fail("detail", "must be a DBS level: \(Check.dbsLevels.joined(separator: ", "))")
        }
        if status == "clear" && issuedOn == nil { input.fail("issued_on", "is required for a clear check") }
        try input.finish()
        guard let kind, let detail else { throw Problem.internalError() }
        let check = try context.write { tx -> Check in
            let person = try PeopleAccess.requireActive(tx.db, id: request.parameter("id"), for: context.principal)
            guard person.roles.contains("volunteer") else { throw Problem.conflict("Person \(person.id) is not a volunteer.") }
            let now = tx.now.rfc3339
            let check = Check(id: Identifier.make("chk", at: tx.now), personId: person.id, kind: kind, detail: detail, status: status,
                              issuedOn: issuedOn, expiresOn: Check.expiry(kind: kind, detail: detail, issuedOn: issuedOn),
                              certificate: certificate, createdAt: now, updatedAt: now, version: 1)
            try PeopleStore.saveCheck(tx, check, isNew: true)
            try tx.audit("create", "volunteer_check", check.id, changes: ["kind", "detail", "status", "issued_on", "certificate"])
            return check
        }
        return .resource(check.json(showCertificate: true, today: context.now.date), version: check.version, status: 201)
    }

    /// `PATCH .../checks/{check}`: a result comes in, or a renewal moves the dates on.
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let status = input.choice("status", from: Check.statuses)
        let issuedOn = input.date("issued_on")
        let certificate = input.string("certificate", maxLength: 30)
        try input.finish()
        let check = try context.write { tx -> Check in
            let person = try PeopleAccess.requireActive(tx.db, id: request.parameter("id"), for: context.principal)
            guard let current = try PeopleStore.checks(tx.db, personId: person.id).first(where: { $0.id == request.parameter("check") }) else {
                throw Problem.notFound("No check \(request.parameter("check")) for this person.")
            }
            try ETag.check(request, currentVersion: current.version)
            var check = current
            if let status { check.status = status }
            if let issuedOn {
                check.issuedOn = issuedOn
                check.expiresOn = Check.expiry(kind: check.kind, detail: check.detail, issuedOn: issuedOn)
            }
            if let certificate { check.certificate = certificate }
            if check.status == "clear" && check.issuedOn == nil { throw Problem.invalid("issued_on", "is required for a clear check") }
            let changes = [("status", check.status != current.status), ("issued_on", check.issuedOn != current.issuedOn),
                           ("certificate", check.certificate != current.certificate)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            check.updatedAt = tx.now.rfc3339
            check.version += 1
            try PeopleStore.saveCheck(tx, check, isNew: false)
            try tx.audit("update", "volunteer_check", check.id, changes: changes)
            return check
        }
        return .resource(check.json(showCertificate: true, today: context.now.date), version: check.version)
    }

    /// `GET /v1/checks/expiring?within_days=30`: clear checks that have run out or will soon, for
    /// coordinators to chase (their own caseload) and officers (their area).
    @Sendable static func expiring(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "checks-expiring", filters: ["within_days"], keyLength: 2)
        let within = try request.query.int("within_days", in: 0...365) ?? 30
        let until = context.now.adding(seconds: Int64(within) * 86_400).date
        let after = try page.afterStrings()
        let rows = try context.read { db -> [JSON] in
            let provider = PeopleAccess.coordinatorProvider(context.principal)
            if context.principal?.role == .coordinator && provider == nil { return [] }
            var scopePath: String?
            if provider == nil, let scope = context.principal?.scope {
                guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return [] }
                scopePath = path
            }
            return try db.query("""
                SELECT c.id, c.person_id, c.kind, c.detail, c.expires_on, p.full_name, p.preferred_name
                FROM volunteer_checks c JOIN people p ON p.id = c.person_id
                WHERE c.status = 'clear' AND c.expires_on IS NOT NULL AND c.expires_on <= ?1 AND p.erased_at IS NULL
                  AND (?2 IS NULL OR p.provider_id = ?2)
                  AND \(Areas.within("p.area_id", "?3"))
                  AND (?4 IS NULL OR (c.expires_on, c.id) > (?4, ?5)) AND (?7 IS NULL OR c.updated_at >= ?7)
                  AND NOT EXISTS (SELECT 1 FROM volunteer_checks n WHERE n.person_id = c.person_id AND n.kind = c.kind
                                  AND n.detail = c.detail AND n.status = 'clear' AND n.expires_on > c.expires_on)
                ORDER BY c.expires_on, c.id LIMIT ?6
                """, [until, provider, scopePath, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339]) { row -> JSON in
                let expires = row.string(4)
                return ["check_id": .string(row.string(0)), "person_id": .string(row.string(1)),
                        "name": JSON(row.optionalString(6) ?? row.optionalString(5)), "kind": .string(row.string(2)),
                        "detail": .string(row.string(3)), "expires_on": .string(expires), "expired": .bool(expires <= context.now.date)]
            }
        }
        let (items, next) = page.page(rows) { [$0["expires_on"] ?? .null, $0["check_id"] ?? .null] }
        return .page(items, nextCursor: next)
    }
}
