import Areas
import KithCore
import SQLiteStore

/// Resident surveys: aggregate results of a baseline and a follow-up wave (question, area,
/// period, sample size, share agreeing), and the change between waves in percentage points.
enum SurveyRoutes {
    static let columns = "id, survey, wave, period, question, area_id, sample_size, agree_per_mille, created_at"

    static func json(_ row: Row) -> JSON {
        ["id": .string(row.string(0)), "survey": .string(row.string(1)), "wave": .string(row.string(2)), "period": .string(row.string(3)),
         "question": .string(row.string(4)), "area_id": JSON(row.optionalString(5)), "sample_size": .int(row.int(6)),
         "share_agreeing": .double(Double(row.int(7)) / 10), "created_at": .string(row.string(8))]
    }

    /// `POST /v1/surveys` with one wave's results: `{"survey", "wave", "period", "results":
    /// [{"question", "area_id", "sample_size", "share_agreeing" (percent, one decimal)}]}`.
    @Sendable static func record(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let survey = input.string("survey", required: true, maxLength: 200)
        let wave = input.choice("wave", from: ["baseline", "follow_up"], required: true)
        let period = input.string("period", required: true, maxLength: 20)
        let scoped = context.principal?.scope != nil
        let results = input.objects("results", required: true, minCount: 1, maxCount: 500) { r -> (question: String, area: String?, sample: Int, perMille: Int)? in
            let question = r.string("question", required: true, maxLength: 300)
            let area = r.string("area_id", required: scoped, maxLength: 60)
            let sample = r.int("sample_size", required: true, in: 1...10_000_000)
            let share = r.double("share_agreeing", required: true, in: 0...100)
            guard let question, let sample, let share else { return nil }
            return (question: question, area: area, sample: sample, perMille: Int((share * 10).rounded()))
        } ?? []
        try input.finish()
        guard let survey, let wave, let period else { throw Problem.internalError() }
        let rows = try context.write { tx -> [JSON] in
            var ids: [String] = []
            for (i, result) in results.enumerated() {
                if let area = result.area { _ = try Areas.require(tx.db, id: area, for: context.principal, field: "results[\(i)].area_id") }
                if try tx.db.scalarInt("SELECT count(*) FROM survey_results WHERE survey = ? AND wave = ? AND question = ? AND area_id IS ?",
                                       [survey, wave, result.question, result.area]) ?? 0 > 0 {
                    throw Problem.conflict("The \(wave) of \(survey) already has a result for \"\(result.question)\" in \(result.area ?? "the whole borough").")
                }
                let id = Identifier.make("svy", at: tx.now)
                try tx.db.run("""
                    INSERT INTO survey_results(id, survey, wave, period, question, area_id, sample_size, agree_per_mille, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [id, survey, wave, period, result.question, result.area, result.sample, result.perMille, tx.now.rfc3339])
                ids.append(id)
            }
            try tx.audit("create", "survey_results", survey, changes: ["results"])
            return try tx.db.query("SELECT \(columns) FROM survey_results WHERE id IN (SELECT value FROM json_each(?)) ORDER BY question, area_id",
                                   [JSON(ids).encodedString()], json)
        }
        return .json(["data": .array(rows), "next_cursor": .null], status: 201)
    }

    /// Results in the caller's scope (a scoped key sees its own areas' results).
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "surveys", filters: ["survey", "wave", "area"], keyLength: 2)
        let wave = try request.query.oneOf("wave", ["baseline", "follow_up"])
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT \(columns) FROM survey_results
                WHERE (?1 IS NULL OR survey = ?1) AND (?2 IS NULL OR wave = ?2) AND (?3 IS NULL OR area_id = ?3)
                  AND (?4 IS NULL OR (created_at, id) > (?4, ?5)) AND (?7 IS NULL OR created_at >= ?7) AND \(Areas.within("area_id", "?8"))
                ORDER BY created_at, id LIMIT ?6
                """, [request.query.string("survey"), wave, request.query.string("area"), after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339, try scopePath(db, context.principal)], json)
        }
        let (items, next) = page.page(rows) { [$0["created_at"] ?? .null, $0["id"] ?? .null] }
        return .page(items, nextCursor: next)
    }

    /// Baseline against follow-up for each survey, question and area: the change in percentage
    /// points (positive: more people agree now). `within`: only areas inside that subtree path.
    static func changes(_ db: Database, question: String?, areaId: String?, within path: String?) throws -> JSON {
        .array(try db.query("""
            SELECT b.survey, b.question, b.area_id, b.period, b.agree_per_mille, b.sample_size, f.period, f.agree_per_mille, f.sample_size
            FROM survey_results b JOIN survey_results f ON f.survey = b.survey AND f.question = b.question AND f.area_id IS b.area_id
                 AND f.wave = 'follow_up'
            WHERE b.wave = 'baseline' AND (?1 IS NULL OR b.question = ?1) AND (?2 IS NULL OR b.area_id = ?2)
              AND \(Areas.within("b.area_id", "?3"))
            ORDER BY b.survey, b.question, b.area_id
            """, [question, areaId, path]) { row -> JSON in
            ["survey": .string(row.string(0)), "question": .string(row.string(1)), "area_id": JSON(row.optionalString(2)),
             "baseline": ["period": .string(row.string(3)), "share_agreeing": .double(Double(row.int(4)) / 10), "sample_size": .int(row.int(5))],
             "follow_up": ["period": .string(row.string(6)), "share_agreeing": .double(Double(row.int(7)) / 10), "sample_size": .int(row.int(8))],
             "change_points": .double(Double(row.int(7) - row.int(4)) / 10)]
        })
    }

    @Sendable static func showChanges(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["question", "area"])
        let json = try context.read { db in
            try changes(db, question: request.query.string("question"), areaId: request.query.string("area"), within: try scopePath(db, context.principal))
        }
        return .json(["data": json, "next_cursor": .null])
    }
}
