import Areas
import KithCore
import People
import SQLiteStore

/// `GET /v1/schemes/{scheme}/report?month=YYYY-MM&area=&provider=`: per scheme, area and provider:
/// people waiting and for how long, active matches, contacts and hours in the month, matches ended
/// and why, time to match against the target, outcome changes, and volunteers whose checks run out
/// within 30 days. Counts only; for viewers (programme boards, evaluators) a count from 1 to 4,
/// and any average over so few people, is withheld (`null`) so no figure points at a person.
enum Reports {
    @Sendable static func report(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["month", "area", "provider"])
        let month = request.query.string("month") ?? String(context.now.date.prefix(7))
        guard month.range(of: #"^\d{4}-(0[1-9]|1[0-2])$"#, options: .regularExpression) != nil,
              let start = Timestamp(date: month + "-01") else {
            throw Problem.badRequest("month must be YYYY-MM.", errors: [FieldError("month", "must be YYYY-MM")])
        }
        let next = Timestamp(date: nextMonth(month) + "-01") ?? start
        let small = SmallCounts(for: context.principal)
        func shown(_ count: Int, _ value: JSON) -> JSON { small.shown(count, value) }
        return try context.read { db in
            let scheme = try MatchStore.requireScheme(db, request.parameter("scheme"))
            var areaId = context.principal?.scope?.kind == .area ? context.principal?.scope?.id : nil
            var provider = request.query.string("provider")
            var areaPath: String?
            if let own = PeopleAccess.coordinatorProvider(context.principal) { provider = own }
            else if context.principal?.role == .coordinator { throw Problem.forbidden("This coordinator key has no provider scope.") }
            else if let scope = context.principal?.scope {
                guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { throw Problem.forbidden("This key's scope holds no area.") }
                areaPath = path
            }
            if let area = request.query.string("area") {
                guard let path = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).") }
                if let limit = areaPath, !path.hasPrefix(limit) { throw Problem.forbidden("Area \(area) is outside this key's scope.") }
                areaPath = path
                areaId = area
            }
            let inScope = """
                (?2 IS NULL OR x.provider_id = ?2)
                AND \(PeopleDirectory.livingWithin("x.person_id", "?3"))
                """
            let base: [any SQLBindable] = [scheme.id, provider, areaPath]
            let now = context.now.rfc3339
            var waiting: JSON = .null
            try db.forEach("""
                SELECT count(*), avg(julianday(?4) - julianday(x.waiting_since)), max(julianday(?4) - julianday(x.waiting_since)),
                       sum(julianday(?4) - julianday(x.waiting_since) > ?5)
                FROM referrals x WHERE x.scheme = ?1 AND x.status = 'waiting' AND \(inScope)
                """, base + [now, scheme.matchTargetDays]) {
                let people = $0.int(0)
                waiting = ["people": shown(people, .int(people)), "average_days": shown(people, .int(Int(($0.optionalDouble(1) ?? 0).rounded()))),
                           "longest_days": shown(people, .int(Int($0.optionalDouble(2) ?? 0))),
                           "over_target": shown(people, shown($0.optionalInt(3) ?? 0, .int($0.optionalInt(3) ?? 0))),
                           "target_days": .int(scheme.matchTargetDays)]
            }
            let active = try db.scalarInt("SELECT count(*) FROM matches x WHERE x.scheme = ?1 AND x.status = 'active' AND \(inScope)", base) ?? 0
            var contacts: JSON = .null
            try db.forEach("""
                SELECT count(*), coalesce(sum(c.minutes), 0) FROM contacts c JOIN matches x ON x.id = c.match_id
                WHERE x.scheme = ?1 AND \(inScope) AND c.happened_at >= ?4 AND c.happened_at < ?5
                """, base + [start.rfc3339, next.rfc3339]) {
                let count = $0.int(0)
                contacts = ["count": shown(count, .int(count)), "hours": shown(count, .double((Double($0.int(1)) / 6).rounded() / 10))]
            }
            var ended: [(String, JSON)] = []
            try db.forEach("""
                SELECT x.end_reason, count(*) FROM matches x WHERE x.scheme = ?1 AND \(inScope) AND x.ended_at >= ?4 AND x.ended_at < ?5
                GROUP BY x.end_reason ORDER BY x.end_reason
                """, base + [start.rfc3339, next.rfc3339]) { ended.append(($0.string(0), shown($0.int(1), .int($0.int(1))))) }
            var timeToMatch: JSON = .null
            try db.forEach("""
                SELECT count(*), avg(julianday(x.proposed_at) - julianday(r.waiting_since)),
                       sum(julianday(x.proposed_at) - julianday(r.waiting_since) <= ?6)
                FROM matches x JOIN referrals r ON r.id = x.referral_id
                WHERE x.scheme = ?1 AND \(inScope) AND x.proposed_at >= ?4 AND x.proposed_at < ?5
                """, base + [start.rfc3339, next.rfc3339, scheme.matchTargetDays]) {
                let matches = $0.int(0)
                timeToMatch = ["matches": shown(matches, .int(matches)),
                               "average_days": shown(matches, .double((($0.optionalDouble(1) ?? 0) * 10).rounded() / 10)),
                               "within_target": shown(matches, shown($0.optionalInt(2) ?? 0, .int($0.optionalInt(2) ?? 0)))]
            }
            // Outcome change: each person's first score against their latest, per measure.
            var outcomes: [JSON] = []
            try db.forEach("""
                WITH scored AS (
                    SELECT o.person_id, o.measure,
                           first_value(o.score) OVER (PARTITION BY o.person_id, o.measure ORDER BY o.measured_on, o.id) AS first_score,
                           last_value(o.score) OVER (PARTITION BY o.person_id, o.measure ORDER BY o.measured_on, o.id
                                                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_score,
                           count(*) OVER (PARTITION BY o.person_id, o.measure) AS n
                    FROM outcomes o WHERE o.scheme = ?1 AND o.measured_on < ?4
                      AND (?2 IS NULL OR o.person_id IN (SELECT r.person_id FROM referrals r WHERE r.scheme = ?1 AND r.provider_id = ?2))
                      AND \(PeopleDirectory.livingWithin("o.person_id", "?3"))
                )
                SELECT measure, count(DISTINCT person_id), avg(first_score), avg(last_score) FROM
                    (SELECT DISTINCT person_id, measure, first_score, last_score FROM scored WHERE n > 1)
                GROUP BY measure ORDER BY measure
                """, base + [next.date]) {
                let first = $0.double(2), last = $0.double(3), people = $0.int(1)
                outcomes.append(["measure": .string($0.string(0)), "people": shown(people, .int(people)),
                                 "average_first": shown(people, .double((first * 10).rounded() / 10)),
                                 "average_latest": shown(people, .double((last * 10).rounded() / 10)),
                                 "average_change": shown(people, .double(((last - first) * 10).rounded() / 10))])
            }
            let expiring = try db.scalarInt("""
                SELECT count(DISTINCT c.person_id) FROM volunteer_checks c JOIN volunteer_offers v ON v.person_id = c.person_id AND v.scheme = ?1
                WHERE c.status = 'clear' AND c.expires_on IS NOT NULL AND c.expires_on <= ?4 AND (?2 IS NULL OR v.provider_id = ?2)
                  AND \(PeopleDirectory.livingWithin("c.person_id", "?3"))
                """, base + [context.now.adding(seconds: 30 * 86_400).date]) ?? 0
            return .json([
                "scheme": .string(scheme.id), "month": .string(month), "provider": JSON(provider), "area": JSON(areaId),
                "waiting": waiting, "active_matches": shown(active, .int(active)), "contacts": contacts, "ended": .object(ended),
                "time_to_match": timeToMatch, "outcomes": .array(outcomes),
                "volunteers_with_checks_expiring": shown(expiring, .int(expiring)),
                "suppression_threshold": small.thresholdJSON,
            ])
        }
    }

    static func nextMonth(_ month: String) -> String {
        guard let year = Int(month.prefix(4)), let m = Int(month.suffix(2)) else { return month }
        let (y, n) = m == 12 ? (year + 1, 1) : (year, m + 1)
        return "\(y)-" + (n < 10 ? "0\(n)" : "\(n)")
    }
}
