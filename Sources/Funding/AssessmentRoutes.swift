import KithCore
import Networks
import SQLiteStore

/// Assessment: conflicts of interest, scores hidden until the assessor has scored, the panel.
enum AssessmentRoutes {
    /// The caller as an assessor of the application's round; 403 otherwise.
    static func assessor(_ db: Database, _ application: Application, context: RequestContext) throws -> Conflicts.Assessor {
        guard let assessor = try Conflicts.assessor(db, roundId: application.roundId, keyId: context.principal?.keyId) else {
            throw Problem.forbidden("Only the round's assessors score its applications.")
        }
        return assessor
    }

    /// `POST /v1/applications/{id}/conflicts`: an assessor declares a conflict and is recused.
    @Sendable static func declareConflict(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let reason = input.string("reason", required: true, maxLength: 500)
        try input.finish()
        guard let reason else { throw Problem.internalError() }
        try context.write { tx in
            let (application, _) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            let assessor = try assessor(tx.db, application, context: context)
            if try tx.db.scalarInt("SELECT count(*) FROM assessment_scores WHERE assessor_id = ? AND application_id = ?",
                                   [assessor.id, application.id]) ?? 0 > 0 {
                // Scores given before the conflict was seen no longer count.
                try tx.db.run("DELETE FROM assessment_scores WHERE assessor_id = ? AND application_id = ?", [assessor.id, application.id])
            }
            try tx.db.run("""
                INSERT INTO assessor_conflicts(assessor_id, application_id, source, reason, at) VALUES (?1, ?2, 'declared', ?3, ?4)
                ON CONFLICT(assessor_id, application_id) DO UPDATE SET source = 'declared', reason = ?3, at = ?4
                """, [assessor.id, application.id, reason, tx.now.rfc3339])
            try tx.audit("declare_conflict", "application", application.id, changes: ["assessor_conflicts"])
        }
        return .noContent()
    }

    /// `PUT /v1/applications/{id}/scores` with `{"scores": [{"criterion", "score" (0-10), "comment"}]}`,
    /// one for every criterion of the round. Refused (409 `conflict-of-interest`) when the assessor
    /// is conflicted, declared or found in the data.
    @Sendable static func score(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let scores = input.objects("scores", required: true, maxCount: 20) { s -> (criterion: String, score: Int, comment: String?)? in
            let criterion = s.string("criterion", required: true, maxLength: 60)
            let score = s.int("score", required: true, in: 0...10)
            let comment = s.text("comment", maxLength: 2000)
            guard let criterion, let score else { return nil }
            return (criterion: criterion, score: score, comment: comment)
        } ?? []
        try input.finish()
        let json = try context.write { tx -> JSON in
            let (application, _) = try FundingAccess.application(tx.db, id: request.parameter("id"), principal: context.principal)
            let assessor = try assessor(tx.db, application, context: context)
            guard application.status == "under_assessment" else {
                throw Problem.conflict("Applications are scored while under assessment; this one is \(application.status).")
            }
            let conflicts = try Conflicts.find(tx, assessor: assessor, application: application)
            guard conflicts.isEmpty else {
                throw Problem(status: 409, slug: "conflict-of-interest", title: "The assessor is conflicted",
                              detail: "\(assessor.name) may not score this application: \(conflicts.joined(separator: "; ")).",
                              extensions: [("conflicts", JSON(conflicts))])
            }
            guard let round = try Round.find(tx.db, id: application.roundId) else { throw Problem.internalError() }
            let criteria = Set(round.criteria.map(\.id))
            let given = scores.map(\.criterion)
            guard Set(given) == criteria, given.count == criteria.count else {
                throw Problem.invalid("scores", "must score each criterion once: \(round.criteria.map(\.id).joined(separator: ", "))")
            }
            for s in scores {
                try tx.db.run("""
                    INSERT INTO assessment_scores(assessor_id, application_id, criterion, score, comment, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT(assessor_id, application_id, criterion) DO UPDATE SET score = ?4, comment = ?5, at = ?6
                    """, [assessor.id, application.id, s.criterion, s.score, s.comment, tx.now.rfc3339])
            }
            try tx.audit("score", "application", application.id, changes: ["assessment_scores"])
            return try scoresJSON(tx.db, application: application, round: round, revealAll: true)
        }
        return .json(json)
    }

    /// `GET /v1/applications/{id}/scores`: officers see every assessor's scores; an assessor sees
    /// their own, and the others' only once they have scored it themselves.
    @Sendable static func scores(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            let (application, relation) = try FundingAccess.application(db, id: request.parameter("id"), principal: context.principal)
            guard let round = try Round.find(db, id: application.roundId) else { throw Problem.internalError() }
            if relation == .staff, try Conflicts.assessor(db, roundId: round.id, keyId: context.principal?.keyId) == nil {
                return try scoresJSON(db, application: application, round: round, revealAll: true)
            }
            let me = try assessor(db, application, context: context)
            let scored = try db.scalarInt("SELECT count(*) FROM assessment_scores WHERE assessor_id = ? AND application_id = ?",
                                          [me.id, application.id]) ?? 0 > 0
            return try scoresJSON(db, application: application, round: round, revealAll: scored, onlyAssessor: scored ? nil : me.id)
        }
        return .json(json)
    }

    static func scoresJSON(_ db: Database, application: Application, round: Round, revealAll: Bool, onlyAssessor: String? = nil) throws -> JSON {
        var byAssessor: [(String, [(String, JSON)])] = []
        try db.forEach("""
            SELECT a.id, a.name, s.criterion, s.score, s.comment FROM assessment_scores s JOIN round_assessors a ON a.id = s.assessor_id
            WHERE s.application_id = ?1 AND (?2 IS NULL OR a.id = ?2) ORDER BY a.name, a.id, s.criterion
            """, [application.id, onlyAssessor]) { row in
            let entry: JSON = ["score": .int(row.int(3)), "comment": JSON(row.optionalString(4))]
            if let i = byAssessor.firstIndex(where: { $0.0 == row.string(0) }) {
                byAssessor[i].1.append((row.string(2), entry))
            } else {
                byAssessor.append((row.string(0), [("assessor_name", .string(row.string(1))), (row.string(2), entry)]))
            }
        }
        let weighted = try weightedScore(db, applicationId: application.id, round: round)
        return ["application_id": .string(application.id), "hidden": .bool(!revealAll),
                "assessors": .array(byAssessor.map { ["assessor_id": .string($0.0), "scores": .object($0.1)] }),
                "weighted_score": revealAll ? JSON(weighted) : .null]
    }

    /// The mean over assessors of each one's weighted average (0-10), or nil before any score.
    static func weightedScore(_ db: Database, applicationId: String, round: Round) throws -> Double? {
        let weights = Dictionary(uniqueKeysWithValues: round.criteria.map { ($0.id, $0.weight) })
        let total = Double(round.criteria.reduce(0) { $0 + $1.weight })
        var perAssessor: [String: Double] = [:]
        try db.forEach("SELECT assessor_id, criterion, score FROM assessment_scores WHERE application_id = ?", [applicationId]) { row in
            perAssessor[row.string(0), default: 0] += Double(row.int(2) * (weights[row.string(1)] ?? 0))
        }
        guard !perAssessor.isEmpty, total > 0 else { return nil }
        let mean = perAssessor.values.map { $0 / total }.reduce(0, +) / Double(perAssessor.count)
        return (mean * 100).rounded() / 100
    }

    /// `GET /v1/rounds/{id}/panel` (officers): the round's applications under assessment or
    /// decided, ranked by weighted score, with the networks' views, conflicts, and the budget
    /// used if the ranked list were funded in order.
    @Sendable static func panel(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            guard let round = try Round.find(db, id: request.parameter("id")) else { throw Problem.notFound("No round \(request.parameter("id")).") }
            let applications = try db.query("""
                SELECT \(Application.columns) FROM applications WHERE round_id = ? AND status IN ('under_assessment', 'recommended', 'awarded', 'declined')
                """, [round.id], Application.init(row:))
            var rows: [(score: Double, json: JSON, amount: Int)] = []
            for a in applications {
                let score = try weightedScore(db, applicationId: a.id, round: round)
                let assessed = try db.scalarInt("SELECT count(DISTINCT assessor_id) FROM assessment_scores WHERE application_id = ?", [a.id]) ?? 0
                let endorsements = try db.query("SELECT network_id, recommendation, note FROM endorsements WHERE application_id = ? ORDER BY network_id",
                                                [a.id]) { row -> JSON in
                    ["network_id": .string(row.string(0)), "recommendation": .string(row.string(1)), "note": JSON(row.optionalString(2))]
                }
                let conflicts = try db.query("""
                    SELECT r.name, c.source, c.reason FROM assessor_conflicts c JOIN round_assessors r ON r.id = c.assessor_id WHERE c.application_id = ?
                    """, [a.id]) { row -> JSON in ["assessor": .string(row.string(0)), "source": .string(row.string(1)), "reason": .string(row.string(2))] }
                rows.append((score ?? -1, ["application_id": .string(a.id), "group_id": .string(a.groupId), "title": .string(a.title),
                                           "status": .string(a.status), "amount_requested_pence": pence(a.amountRequestedPence),
                                           "weighted_score": JSON(score), "assessors_scored": .int(assessed),
                                           "endorsements": .array(endorsements), "conflicts": .array(conflicts)], a.amountRequestedPence))
            }
            rows.sort { ($0.score, $1.json["application_id"]?.stringValue ?? "") > ($1.score, $0.json["application_id"]?.stringValue ?? "") }
            var running = try Round.committedPence(db, roundId: round.id)
            let committed = running
            let ranked: [JSON] = rows.enumerated().map { index, row in
                guard case .object(var pairs) = row.json else { return row.json }
                let status = row.json["status"]?.stringValue ?? ""
                if status != "awarded" && status != "declined" { running += row.amount }
                pairs += [("rank", .int(index + 1)), ("fits_budget_in_rank_order", .bool(running <= round.budgetPence))]
                return .object(pairs)
            }
            return ["round_id": .string(round.id), "budget_pence": pence(round.budgetPence), "committed_pence": pence(committed),
                    "criteria": .array(round.criteria.map(\.json)), "data": .array(ranked)]
        }
        return .json(json)
    }
}
