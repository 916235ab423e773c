import Groups
import KithCore
import SQLiteStore

/// `GET /v1/rounds/{id}/report` and `GET /v1/programmes/{id}/report`: applications by status,
/// amount requested against awarded, by area, beneficiary and network priority, and the success
/// rate of groups new to the council against the rest. Drafts are not counted.
enum FundingReports {
    @Sendable static func round(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            guard try Round.find(db, id: request.parameter("id")) != nil else { throw Problem.notFound("No round \(request.parameter("id")).") }
            return try report(db, scope: ("round", request.parameter("id")), roundFilter: "a.round_id = ?1")
        }
        return .json(json)
    }

    @Sendable static func programme(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            guard try SetupRoutes.programme(db, id: request.parameter("id")) != nil else {
                throw Problem.notFound("No programme \(request.parameter("id")).")
            }
            return try report(db, scope: ("programme", request.parameter("id")),
                              roundFilter: "a.round_id IN (SELECT id FROM rounds WHERE programme_id = ?1)")
        }
        return .json(json)
    }

    static func report(_ db: Database, scope: (kind: String, id: String), roundFilter: String) throws -> JSON {
        let base = """
            SELECT a.id, a.group_id, a.status, a.amount_requested_pence, coalesce(g.amount_pence, 0) AS awarded, a.area_id,
                   a.beneficiaries, a.priority_ids
            FROM applications a LEFT JOIN grants g ON g.application_id = a.id
            WHERE \(roundFilter) AND a.status <> 'draft'
            """
        var byStatus: [(String, JSON)] = []
        try db.forEach("WITH x AS (\(base)) SELECT status, count(*) FROM x GROUP BY status ORDER BY status", [scope.id]) {
            byStatus.append(($0.string(0), .int($0.int(1))))
        }
        var totals: JSON = .null
        try db.forEach("""
            WITH x AS (\(base)) SELECT count(*), coalesce(sum(amount_requested_pence), 0), coalesce(sum(awarded), 0), sum(status = 'awarded') FROM x
            """, [scope.id]) {
            totals = ["applications": .int($0.int(0)), "requested_pence": pence($0.int(1)), "awarded_pence": pence($0.int(2)),
                      "awards": .int($0.optionalInt(3) ?? 0)]
        }
        func grouped(_ select: String, label: String) throws -> JSON {
            var rows: [JSON] = []
            try db.forEach("""
                WITH x AS (\(base)) SELECT \(select) AS k, count(*), coalesce(sum(amount_requested_pence), 0), coalesce(sum(awarded), 0),
                       sum(status = 'awarded') FROM x GROUP BY k ORDER BY k
                """, [scope.id]) { row in
                rows.append([label: JSON(row.optionalString(0)), "applications": .int(row.int(1)), "requested_pence": pence(row.int(2)),
                             "awarded_pence": pence(row.int(3)), "awards": .int(row.optionalInt(4) ?? 0)])
            }
            return .array(rows)
        }
        // Lists (beneficiaries, priorities) are counted once per value.
        func byListValue(_ column: String, label: String) throws -> JSON {
            var rows: [JSON] = []
            try db.forEach("""
                WITH x AS (\(base)) SELECT j.value, count(*), coalesce(sum(x.amount_requested_pence), 0), coalesce(sum(x.awarded), 0),
                       sum(x.status = 'awarded') FROM x, json_each(x.\(column)) j GROUP BY j.value ORDER BY j.value
                """, [scope.id]) { row in
                rows.append([label: .string(row.string(0)), "applications": .int(row.int(1)), "requested_pence": pence(row.int(2)),
                             "awarded_pence": pence(row.int(3)), "awards": .int(row.optionalInt(4) ?? 0)])
            }
            return .array(rows)
        }
        // Success among groups the council did not know before, against those it did.
        var newGroups = (applied: 0, awarded: 0), knownGroups = (applied: 0, awarded: 0)
        var outcomes: [(groupId: String, awarded: Bool)] = []
        try db.forEach("WITH x AS (\(base)) SELECT group_id, status = 'awarded' FROM x", [scope.id]) { outcomes.append(($0.string(0), $0.bool(1))) }
        for outcome in outcomes {
            let known = try Directory.find(db, id: outcome.groupId)?.knownToCouncil ?? false
            if known { knownGroups.applied += 1; knownGroups.awarded += outcome.awarded ? 1 : 0 }
            else { newGroups.applied += 1; newGroups.awarded += outcome.awarded ? 1 : 0 }
        }
        func rate(_ n: (applied: Int, awarded: Int)) -> JSON {
            ["applications": .int(n.applied), "awards": .int(n.awarded),
             "success_rate": n.applied == 0 ? .null : .double((Double(n.awarded) / Double(n.applied) * 1000).rounded() / 1000)]
        }
        return [scope.kind: .string(scope.id), "totals": totals, "by_status": .object(byStatus), "by_area": try grouped("area_id", label: "area_id"),
                "by_beneficiary": try byListValue("beneficiaries", label: "beneficiary"),
                "by_priority": try byListValue("priority_ids", label: "priority_id"),
                "groups_new_to_council": rate(newGroups), "groups_known_to_council": rate(knownGroups)]
    }
}
