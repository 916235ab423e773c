import Areas
import KithCore
import SQLiteStore

/// `/v1/keys`: API key management for admins (the same as `kith keys` on the command line).
enum KeyRoutes {
    /// The caller's own key: lets a partner system check what it holds.
    @Sendable static func me(_ request: Request, _ context: RequestContext) throws -> Response {
        guard let principal = context.principal,
              let record = try context.read({ db in try APIKeys.find(db, id: principal.keyId) }) else {
            throw Problem.unauthorized("This API key is not recognised.")
        }
        return .resource(record.json(at: context.now), version: record.version)
    }

    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 100)
        let role = input.choice("role", from: Role.allCases.map(\.rawValue), required: true).flatMap(Role.init)
        var scope: Scope?
        if let text = input.string("scope", maxLength: 120) {
            scope = Scope(text)
            if scope == nil { input.fail("scope", "must be kind:id with kind one of \(Scope.Kind.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        let expiresAt = input.timestamp("expires_at")
        if let expiresAt, expiresAt <= context.now { input.fail("expires_at", "must be in the future") }
        try input.finish()
        guard let name, let role else { throw Problem.internalError() }
        try context.read { db in
            if let scope, scope.kind == .area, try Areas.find(db, id: scope.id) == nil {
                throw Problem.invalid("scope", "names no area: \(scope.id)")
            }
            try checkScopeAllowed(scope, for: context, db: db)
        }

        let (record, secret) = try context.write { tx in
            try APIKeys.create(tx, name: name, role: role, scope: scope, expiresAt: expiresAt, createdBy: context.principal?.keyId)
        }
        var body = record.json(at: context.now)
        if case .object(var pairs) = body {
            pairs.insert(("key", .string(secret)), at: 1)
            body = .object(pairs)
        }
        return .created(body, location: "/v1/keys/\(record.id)", version: record.version)
    }

    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "keys", filters: ["role", "status"], keyLength: 2)
        var filter = APIKeys.Filter()
        filter.role = try request.query.oneOf("role", Role.allCases.map(\.rawValue)).flatMap(Role.init)
        filter.status = try request.query.oneOf("status", ["active", "revoked", "expired"])
        filter.updatedSince = page.updatedSince
        let cursor = try page.afterStrings()
        // Scoped admins see the keys inside their scope: read in batches and filter, since
        // "inside" needs the area tree. Unscoped admins take one batch.
        let rows = try context.read { db -> [APIKeys.Record] in
            var rows: [APIKeys.Record] = []
            var after = cursor
            while rows.count < page.fetchLimit {
                let batch = try APIKeys.list(db, filter: filter, now: context.now, after: after, limit: page.fetchLimit)
                rows += try batch.filter { try visible($0, to: context, db: db) }
                guard batch.count == page.fetchLimit, let last = batch.last else { break }
                after = [last.createdAt, last.id]
            }
            return Array(rows.prefix(page.fetchLimit))
        }
        let (items, next) = page.page(rows) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map { $0.json(at: context.now) }, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        let record = try find(request.parameter("id"), context)
        return .resource(record.json(at: context.now), version: record.version)
    }

    /// Renames a key or changes its expiry; `If-Match` guards against overwriting a newer change.
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let name = input.string("name", maxLength: 100)
        if input.has("name") && input.isNull("name") { input.fail("name", "must not be null") }
        let expiresAt = input.timestamp("expires_at")
        if let expiresAt, expiresAt <= context.now { input.fail("expires_at", "must be in the future") }
        let clearExpiry = input.has("expires_at") && input.isNull("expires_at")
        try input.finish()

        let record = try context.write { tx -> APIKeys.Record in
            guard let current = try APIKeys.find(tx.db, id: id), try visible(current, to: context, db: tx.db) else {
                throw Problem.notFound("No API key \(id).")
            }
            try ETag.check(request, currentVersion: current.version)
            guard current.revokedAt == nil else { throw Problem.conflict("Key \(id) is revoked and cannot be changed.") }
            var changes: [String] = []
            if let name, name != current.name { changes.append("name") }
            let newExpiry = clearExpiry ? nil : (expiresAt?.rfc3339 ?? current.expiresAt)
            if newExpiry != current.expiresAt { changes.append("expires_at") }
            if !changes.isEmpty {
                try tx.db.run("""
                    UPDATE api_keys SET name = ?, expires_at = ?, updated_at = ?, version = version + 1
                    WHERE id = ? AND version = ?
                    """, [name ?? current.name, newExpiry, tx.now.rfc3339, id, current.version])
                try tx.audit("update", "api_key", id, changes: changes)
            }
            return try APIKeys.find(tx.db, id: id) ?? current
        }
        context.services.keyCache.invalidateAll()
        return .resource(record.json(at: context.now), version: record.version)
    }

    @Sendable static func revoke(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        try context.write { tx in
            guard let current = try APIKeys.find(tx.db, id: id), try visible(current, to: context, db: tx.db) else {
                throw Problem.notFound("No API key \(id).")
            }
            try ETag.check(request, currentVersion: current.version)
            _ = try APIKeys.revoke(tx, id: id)
        }
        context.services.keyCache.invalidateAll()   // revocation takes effect at once
        return .noContent()
    }

    // MARK: - Scope rules

    private static func find(_ id: String, _ context: RequestContext) throws -> APIKeys.Record {
        guard let record = try context.read({ db in try APIKeys.find(db, id: id).flatMap { try visible($0, to: context, db: db) ? $0 : nil } }) else {
            throw Problem.notFound("No API key \(id).")
        }
        return record
    }

    /// An unscoped admin sees every key; a scoped admin the keys whose scope lies inside its own
    /// (for an `area:` scope, any area in its subtree).
    private static func visible(_ record: APIKeys.Record, to context: RequestContext, db: Database) throws -> Bool {
        guard let own = context.principal?.scope else { return true }
        guard let scope = record.scope else { return false }
        return try within(scope, own, db: db)
    }

    /// A scoped admin can only hand out keys inside its own scope.
    private static func checkScopeAllowed(_ scope: Scope?, for context: RequestContext, db: Database) throws {
        guard let own = context.principal?.scope else { return }
        guard let scope, try within(scope, own, db: db) else {
            throw Problem.forbidden("This key is limited to \(own); it can only create keys inside that scope.")
        }
    }

    private static func within(_ scope: Scope, _ own: Scope, db: Database) throws -> Bool {
        if scope == own { return true }
        guard scope.kind == .area, own.kind == .area else { return false }
        return try Areas.isWithin(db, areaId: scope.id, ancestorId: own.id)
    }
}
