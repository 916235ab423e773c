import Areas
import KithCore
import People
import SQLiteStore

/// `GET /v1/credits/report?from=YYYY-MM&to=YYYY-MM[&area=]`: hours given and credits earned by
/// month, area, organisation and age band; credits spent by venue and offer; people earning for
/// the first time; the share of earned credits spent. Counts only; for viewers a count of people
/// from 1 to 4, and the hours and credits of so few people, are withheld.
enum CreditReports {
    @Sendable static func report(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["from", "to", "area"])
        let thisMonth = String(context.now.date.prefix(7))
        let fromMonth = request.query.string("from") ?? thisMonth
        let toMonth = request.query.string("to") ?? fromMonth
        for (name, month) in [("from", fromMonth), ("to", toMonth)]
            where month.range(of: #"^\d{4}-(0[1-9]|1[0-2])$"#, options: .regularExpression) == nil {
            throw Problem.badRequest("\(name) must be a month as YYYY-MM.", errors: [FieldError(name, "must be YYYY-MM")])
        }
        guard fromMonth <= toMonth else { throw Problem.badRequest("from must not be after to.", errors: [FieldError("to", "must not be before from")]) }
        let small = SmallCounts(for: context.principal)
        func shown(_ n: Int, _ value: JSON) -> JSON { small.shown(n, value) }
        func people(_ n: Int) -> JSON { small.count(n) }
        let start = fromMonth + "-01", end = nextMonth(toMonth) + "-01"
        return try context.read { db in
            var areaPath: String?
            var areaId: String?
            if let scope = context.principal?.scope {
                guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { throw Problem.forbidden("This key's scope holds no area.") }
                (areaPath, areaId) = (path, scope.id)
            }
            if let area = request.query.string("area") {
                guard let path = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).") }
                if let limit = areaPath, !path.hasPrefix(limit) { throw Problem.forbidden("Area \(area) is outside this key's scope.") }
                (areaPath, areaId) = (path, area)
            }
            // Approved volunteering in the period, with the volunteer's area and age band.
            let earned = """
                SELECT person_id, organisation_id, month, half_hours, credits, area_id, coalesce(CASE
                           WHEN age IS NULL THEN NULL WHEN age < 18 THEN 'under_18' WHEN age < 25 THEN '18_24' WHEN age < 35 THEN '25_34'
                           WHEN age < 45 THEN '35_44' WHEN age < 55 THEN '45_54' WHEN age < 65 THEN '55_64' WHEN age < 75 THEN '65_74'
                           WHEN age < 85 THEN '75_84' ELSE '85_plus' END, stored_band, 'unknown') AS age_band
                FROM (SELECT v.person_id, v.organisation_id, substr(v.on_date, 1, 7) AS month, v.half_hours, coalesce(v.credits, 0) AS credits,
                             p.area_id, p.age_band AS stored_band,
                             -- the age on the day the hours were given
                             CAST((julianday(v.on_date) - julianday(p.date_of_birth)) / 365.25 AS INTEGER) AS age
                      FROM volunteering v JOIN people p ON p.id = v.person_id
                      WHERE v.status = 'approved' AND v.on_date >= ?1 AND v.on_date < ?2
                        AND \(Areas.within("p.area_id", "?3")))
                """
            let args: [any SQLBindable] = [start, end, areaPath]
            func grouped(_ column: String, label: String) throws -> JSON {
                var rows: [JSON] = []
                try db.forEach("""
                    WITH e AS (\(earned)) SELECT \(column), count(DISTINCT person_id), sum(half_hours), sum(credits) FROM e
                    GROUP BY 1 ORDER BY 1
                    """, args) { row in
                    let n = row.int(1)
                    rows.append([label: JSON(row.optionalString(0)), "people": people(n),
                                 "hours": shown(n, .double(Double(row.int(2)) / 2)), "credits": shown(n, .int(row.int(3)))])
                }
                return .array(rows)
            }
            var totals: (people: Int, halfHours: Int, credits: Int) = (0, 0, 0)
            try db.forEach("WITH e AS (\(earned)) SELECT count(DISTINCT person_id), coalesce(sum(half_hours), 0), coalesce(sum(credits), 0) FROM e",
                           args) { totals = ($0.int(0), $0.int(1), $0.int(2)) }
            // Credits issued in the period (volunteering and contacts), and first-time earners.
            let issuedWhere = """
                m.kind = 'issue' AND m.at >= ?1 AND m.at < ?2
                AND \(PeopleDirectory.livingWithin("a.person_id", "?3"))
                """
            let issued = try db.scalarInt("SELECT coalesce(sum(m.credits), 0) FROM credit_movements m JOIN credit_accounts a ON a.id = m.to_account WHERE \(issuedWhere)",
                                          args) ?? 0
            let earners = try db.scalarInt("SELECT count(DISTINCT a.person_id) FROM credit_movements m JOIN credit_accounts a ON a.id = m.to_account WHERE \(issuedWhere)",
                                           args) ?? 0
            let firstTime = try db.scalarInt("""
                SELECT count(DISTINCT a.person_id) FROM credit_movements m JOIN credit_accounts a ON a.id = m.to_account
                WHERE \(issuedWhere) AND NOT EXISTS (SELECT 1 FROM credit_movements e WHERE e.to_account = m.to_account AND e.kind = 'issue' AND e.at < ?1)
                """, args) ?? 0
            // Spending: bookings not cancelled, by venue and offer.
            var spent: [JSON] = []
            var spentTotal = 0
            let spenders = try db.scalarInt("""
                SELECT count(DISTINCT b.person_id) FROM credit_bookings b
                WHERE b.status <> 'cancelled' AND b.booked_at >= ?1 AND b.booked_at < ?2
                  AND \(PeopleDirectory.livingWithin("b.person_id", "?3"))
                """, args) ?? 0
            try db.forEach("""
                SELECT o.venue_id, c.name, o.id, o.title, count(*), sum(b.credits), sum(b.status = 'attended'), sum(coalesce(b.first_visit, 0))
                FROM credit_bookings b JOIN credit_offers o ON o.id = b.offer_id JOIN credit_organisations c ON c.id = o.venue_id
                WHERE b.status <> 'cancelled' AND b.booked_at >= ?1 AND b.booked_at < ?2
                  AND \(PeopleDirectory.livingWithin("b.person_id", "?3"))
                GROUP BY o.id ORDER BY c.name, o.title, o.id
                """, args) { row in
                spentTotal += row.int(5)
                let n = row.int(4)
                spent.append(["venue_id": .string(row.string(0)), "venue": .string(row.string(1)), "offer_id": .string(row.string(2)),
                              "offer": .string(row.string(3)), "bookings": people(n), "credits": shown(n, .int(row.int(5))),
                              "attended": people(row.int(6)), "first_visits": people(row.int(7))])
            }
            return .json([
                "from": .string(fromMonth), "to": .string(toMonth), "area": JSON(areaId),
                "earned": ["people": people(totals.people), "hours": shown(totals.people, .double(Double(totals.halfHours) / 2)),
                           "credits_for_volunteering": shown(totals.people, .int(totals.credits)), "credits_issued": shown(earners, .int(issued)),
                           "first_time_earners": people(firstTime)],
                "by_month": try grouped("month", label: "month"), "by_area": try grouped("area_id", label: "area_id"),
                "by_organisation": try grouped("organisation_id", label: "organisation_id"),
                "by_age_band": try grouped("age_band", label: "age_band"),
                "spent": ["credits": shown(spent.isEmpty ? 0 : spenders, .int(spentTotal)), "by_offer": .array(spent)],
                "share_spent": issued == 0 ? .null : shown(spentTotal == 0 ? earners : min(earners, spenders), .double((Double(spentTotal) / Double(issued) * 1000).rounded() / 1000)),
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
