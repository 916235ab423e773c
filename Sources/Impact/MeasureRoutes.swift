import Areas
import KithCore
import SQLiteStore

/// `/v1/measures`: officers define measures; each shows actual against target period by period.
enum MeasureRoutes {
    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", required: true, maxLength: 200)
        let unit = input.string("unit", required: true, maxLength: 60)
        let source = input.choice("source", from: MeasureSources.names, required: true)
        let target = input.double("target", required: true, in: 0...1_000_000_000)
        let period = input.choice("period", from: Measure.periods, required: true)
        let areaId = input.string("area_id", required: context.principal?.scope != nil, maxLength: 60)
        try input.finish()
        guard let name, let unit, let source, let target, let period else { throw Problem.internalError() }
        let measure = try context.write { tx -> Measure in
            if let areaId { _ = try Areas.require(tx.db, id: areaId, for: context.principal, field: "area_id") }
            let id = Identifier.make("msr", at: tx.now)
            try tx.db.run("""
                INSERT INTO measures(id, name, unit, source, target, period, area_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, name, unit, source, target, period, areaId, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "measure", id, changes: ["name", "unit", "source", "target", "period", "area_id"])
            guard let measure = try Measure.find(tx.db, id: id) else { throw Problem.internalError() }
            return measure
        }
        return .created(measure.json, location: "/v1/measures/\(measure.id)", version: measure.version)
    }

    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let name = input.string("name", maxLength: 200)
        let unit = input.string("unit", maxLength: 60)
        let target = input.double("target", in: 0...1_000_000_000)
        try input.finish()
        let measure = try context.write { tx -> Measure in
            let current = try Measure.require(tx.db, id: request.parameter("id"), for: context.principal)
            try ETag.check(request, currentVersion: current.version)
            var changes: [String] = []
            if let name, name != current.name { changes.append("name") }
            if let unit, unit != current.unit { changes.append("unit") }
            if let target, target != current.target { changes.append("target") }
            guard !changes.isEmpty else { return current }
            try tx.db.run("""
                UPDATE measures SET name = coalesce(?, name), unit = coalesce(?, unit), target = coalesce(?, target), updated_at = ?,
                    version = version + 1 WHERE id = ?
                """, [name, unit, target, tx.now.rfc3339, current.id])
            try tx.audit("update", "measure", current.id, changes: changes)
            guard let updated = try Measure.find(tx.db, id: current.id) else { throw Problem.internalError() }
            return updated
        }
        return .resource(measure.json, version: measure.version)
    }

    /// Measures in the caller's scope (a scoped key sees the measures of its own areas).
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "measures", keyLength: 2)
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT \(Measure.columns) FROM measures WHERE (?1 IS NULL OR (name, id) > (?1, ?2)) AND (?4 IS NULL OR updated_at >= ?4)
                  AND \(Areas.within("area_id", "?5"))
                ORDER BY name, id LIMIT ?3
                """, [after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339, try scopePath(db, context.principal)],
                Measure.init(row:))
        }
        let (items, next) = page.page(rows) { [.string($0.name), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    /// `GET /v1/measures/{id}?periods=12`: the measure and its value against target for each of
    /// the last `periods` periods (months, quarters or years) up to now. No ETag: the series is
    /// computed from the modules' data and changes without the measure's version changing.
    static func show(sources: [any EngagementSource]) -> Handler {
        { request, context in
            try request.query.allowOnly(["periods"])
            let count = try request.query.int("periods", in: 1...60) ?? 12
            let json = try context.read { db -> JSON in
                let measure = try Measure.require(db, id: request.parameter("id"), for: context.principal)
                let periods = Period.series(kind: measure.period, endingAt: context.now.date, count: count)
                return try measure.json(with: "series", MeasureSources.points(db, measure, periods: periods, sources: sources,
                                                                                 small: SmallCounts(for: context.principal)))
            }
            return .json(json)
        }
    }

    /// `PUT /v1/measures/{id}/values/{period}` with `{"value", "note"}`: a hand-entered figure for
    /// a manual measure.
    @Sendable static func setValue(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let value = input.double("value", required: true, in: -1_000_000_000...1_000_000_000)
        let note = input.string("note", maxLength: 500)
        try input.finish()
        guard let value else { throw Problem.internalError() }
        let json = try context.write { tx -> JSON in
            let measure = try Measure.require(tx.db, id: request.parameter("id"), for: context.principal)
            guard measure.source == "manual" else { throw Problem.conflict("\(measure.name) is computed from \(measure.source); it takes no hand-entered values.") }
            guard let period = Period(request.parameter("period")), period.kind == measure.period else {
                throw Problem.badRequest("The period must be a \(measure.period) such as \(measure.period == "month" ? "2026-11" : measure.period == "quarter" ? "2026-Q4" : "2026").",
                                         errors: [FieldError("period", "must be a \(measure.period)")])
            }
            try tx.db.run("""
                INSERT INTO measure_values(measure_id, period, value, note, key_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(measure_id, period) DO UPDATE SET value = ?3, note = ?4, key_id = ?5, recorded_at = ?6
                """, [measure.id, period.label, value, note, context.principal?.keyId, tx.now.rfc3339])
            try tx.audit("record", "measure", measure.id, changes: ["values"])
            return ["measure_id": .string(measure.id), "period": .string(period.label), "value": .double(value), "note": JSON(note),
                    "recorded_at": .string(tx.now.rfc3339)]
        }
        return .json(json)
    }
}
