import KithCore
import SQLiteStore

/// `/v1/areas`: the tree of places. Anyone may read it; admins edit it, within their scope.
public struct AreasModule: KithModule {
    public let name = "areas"
    public init() {}

    public func register(_ router: inout Router) {
        router.get("/v1/areas", .anyone, AreaRoutes.list)
        router.post("/v1/areas", .only(.admin), AreaRoutes.create)
        router.post("/v1/areas/import", .only(.admin), AreaRoutes.importCSV)
        router.get("/v1/areas/{id}", .anyone, AreaRoutes.show)
        router.patch("/v1/areas/{id}", .only(.admin), AreaRoutes.update)
        router.delete("/v1/areas/{id}", .only(.admin), AreaRoutes.delete)
    }
}

enum AreaRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "areas", filters: ["parent", "within", "kind"], keyLength: 1)
        let kind = try request.query.oneOf("kind", Area.Kind.allCases.map(\.rawValue))
        let after = try page.afterStrings()?.first
        let areas = try context.read { db -> [Area] in
            var filter = AreaStore.Filter(parentId: request.query.string("parent"), kind: kind, updatedSince: page.updatedSince)
            if let within = request.query.string("within") {
                guard let path = try Areas.subtreePath(db, id: within) else {
                    throw Problem.badRequest("There is no area \(within).", errors: [FieldError("within", "is not an area")])
                }
                filter.withinPath = path
            }
            return try AreaStore.list(db, filter: filter, afterPath: after, limit: page.fetchLimit)
        }
        let (items, next) = page.page(areas) { [.string($0.path)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        guard let area = try context.read({ db in try AreaStore.find(db, id: id) }) else {
            throw Problem.notFound("No area \(id).")
        }
        return .resource(area.json, version: area.version)
    }

    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let area = AreaInput.read(input)
        try input.finish()
        guard let area else { throw Problem.internalError() }
        let created = try context.write { tx in try insert(tx, area, principal: context.principal) }
        return .created(created.json, location: "/v1/areas/\(created.id)", version: created.version)
    }

    /// `text/csv` with columns id, name, kind, parent_id, code: creates new areas and updates
    /// existing ones, parents before children, all or nothing.
    @Sendable static func importCSV(_ request: Request, _ context: RequestContext) throws -> Response {
        let mediaType = request.header("content-type")?.split(separator: ";").first.map { $0.trimmingOWS().lowercased() }
        guard mediaType == "text/csv" else {
            throw Problem.unsupportedMediaType("Send the areas as text/csv with a header line: id,name,kind,parent_id,code.")
        }
        let text = String(decoding: request.body, as: UTF8.self)
        let (_, rows) = try CSV.records(text, required: ["id", "name", "kind"], optional: ["parent_id", "code"])
        var parsed: [AreaInput] = []
        var errors: [FieldError] = []
        for row in rows {
            let input = Input(object: row.values.filter { !$0.value.isEmpty }.map { ($0.key, JSON.string($0.value)) },
                              prefix: "row \(row.line).")
            if let area = AreaInput.read(input) { parsed.append(area) }
            do { try input.finish() } catch let problem as Problem { errors += problem.errors }
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        let (created, updated) = try context.write { tx -> (Int, Int) in
            var created = 0, updated = 0
            for (index, area) in parsed.enumerated() {
                do {
                    if let current = try AreaStore.find(tx.db, id: area.id) {
                        guard area.kind == current.kind else {
                            throw Problem.invalid("kind", "cannot change from \(current.kind.rawValue); delete and recreate the area")
                        }
                        let after = try change(tx, current: current, name: area.name, code: area.code, parentId: area.parentId,
                                               principal: context.principal)
                        if after.version != current.version { updated += 1 }
                    } else {
                        _ = try insert(tx, area, principal: context.principal)
                        created += 1
                    }
                } catch let problem as Problem where problem.status == 422 {
                    let line = rows[index].line
                    throw Problem.validation(problem.errors.map { FieldError("row \(line).\($0.field)", $0.message) })
                } catch let problem as Problem {
                    // 403 and the like keep their status; the detail names the row.
                    var named = problem
                    named.detail = "Row \(rows[index].line): \(problem.detail)"
                    throw named
                }
            }
            return (created, updated)
        }
        return .json(["created": .int(created), "updated": .int(updated)])
    }

    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let name = input.string("name", maxLength: 120)
        let code = input.string("code", maxLength: 20)
        let parentId = input.string("parent_id", maxLength: 60)
        for field in ["name", "parent_id"] where input.isNull(field) { input.fail(field, "must not be null") }
        try input.finish()
        let area = try context.write { tx -> Area in
            guard let current = try AreaStore.find(tx.db, id: id),
                  try Areas.scopeAllows(context.principal, areaId: current.id, db: tx.db) else {
                throw Problem.notFound("No area \(id).")
            }
            try ETag.check(request, currentVersion: current.version)
            return try change(tx, current: current, name: name ?? current.name,
                              code: input.has("code") ? code : current.code, parentId: parentId ?? current.parentId,
                              principal: context.principal)
        }
        return .resource(area.json, version: area.version)
    }

    @Sendable static func delete(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        try context.write { tx in
            guard let current = try AreaStore.find(tx.db, id: id),
                  try Areas.scopeAllows(context.principal, areaId: current.id, db: tx.db) else {
                throw Problem.notFound("No area \(id).")
            }
            try ETag.check(request, currentVersion: current.version)
            if try AreaStore.childCount(tx.db, id: id) > 0 {
                throw Problem.conflict("Area \(id) has areas inside it; delete or move those first.")
            }
            // Records elsewhere that still refer to the area make this a 409 (foreign key).
            try AreaStore.delete(tx, id: id)
        }
        return .noContent()
    }

    // MARK: - Rules shared by create, update and import

    private static func insert(_ tx: Transaction, _ area: AreaInput, principal: Principal?) throws -> Area {
        var parent: Area?
        if let parentId = area.parentId {
            guard let found = try AreaStore.find(tx.db, id: parentId) else { throw Problem.invalid("parent_id", "is not an area: \(parentId)") }
            parent = found
            try checkNesting(child: area.kind, parent: found.kind)
        }
        // A scoped admin adds areas only inside its own subtree, and never a new council.
        guard try Areas.scopeAllows(principal, areaId: parent?.id, db: tx.db) else {
            throw Problem.forbidden("This key may only add areas inside \(principal?.scope?.description ?? "its scope").")
        }
        if try AreaStore.find(tx.db, id: area.id) != nil { throw Problem.invalid("id", "is already used by another area") }
        try checkNameFree(tx.db, name: area.name, parentId: area.parentId, except: nil)
        return try AreaStore.insert(tx, area, parent: parent)
    }

    private static func change(_ tx: Transaction, current: Area, name: String, code: String?, parentId: String?,
                               principal: Principal?) throws -> Area {
        guard try Areas.scopeAllows(principal, areaId: current.id, db: tx.db) else {
            throw Problem.forbidden("This key may only change areas inside \(principal?.scope?.description ?? "its scope").")
        }
        var parent: Area?
        if let parentId, parentId != current.parentId {
            guard current.kind != .council else { throw Problem.invalid("parent_id", "a council has no parent") }
            guard let found = try AreaStore.find(tx.db, id: parentId) else { throw Problem.invalid("parent_id", "is not an area: \(parentId)") }
            guard found.councilId == current.councilId else { throw Problem.invalid("parent_id", "must be in the same council") }
            guard !found.path.hasPrefix(current.path) else { throw Problem.invalid("parent_id", "would put the area inside itself") }
            guard try Areas.scopeAllows(principal, areaId: found.id, db: tx.db) else {
                throw Problem.forbidden("This key may only move areas inside \(principal?.scope?.description ?? "its scope").")
            }
            try checkNesting(child: current.kind, parent: found.kind)
            parent = found
        }
        try checkNameFree(tx.db, name: name, parentId: parent?.id ?? current.parentId, except: current.id)
        return try AreaStore.update(tx, current: current, name: name, code: code, parent: parent)
    }

    /// Two areas in the same place may not share a name (case-insensitively).
    private static func checkNameFree(_ db: Database, name: String, parentId: String?, except: String?) throws {
        let clash = try db.scalarInt("""
            SELECT count(*) FROM areas WHERE coalesce(parent_id, '') = coalesce(?, '') AND lower(name) = lower(?) AND id IS NOT ?
            """, [parentId, name, except]) ?? 0
        if clash > 0 { throw Problem.invalid("name", "is already used by another area in the same place") }
    }

    /// Councils hold areas or wards; areas hold areas, wards or neighbourhoods; wards hold
    /// neighbourhoods; neighbourhoods hold nothing.
    private static func checkNesting(child: Area.Kind, parent: Area.Kind) throws {
        let allowed: [Area.Kind: Set<Area.Kind>] = [
            .council: [.area, .ward, .neighbourhood], .area: [.area, .ward, .neighbourhood], .ward: [.neighbourhood], .neighbourhood: [],
        ]
        guard allowed[parent]?.contains(child) == true else {
            throw Problem.invalid("parent_id", "a \(child.rawValue) cannot be inside a \(parent.rawValue)")
        }
    }
}
