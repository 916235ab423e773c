import Foundation
import Areas
import KithCore
import SQLiteStore

/// `GET /v1/impact`: people engaged across the modules against the target; the settings; the
/// progress report that bundles everything for a period.
enum ImpactRoutes {
    static func target(_ db: Database) throws -> (target: Int, version: Int) {
        try db.queryOne("SELECT target, version FROM impact_settings WHERE id = 1", []) { (target: $0.int(0), version: $0.int(1)) } ?? (50_000, 1)
    }

    /// For viewers, counts of 1 to 4 people are withheld (and the total and progress with them,
    /// or subtraction would give them away); reported reach is already an aggregate.
    static func impactJSON(_ db: Database, sources: [any EngagementSource], range: MonthRange, area: (id: String?, path: String?),
                           small: SmallCounts) throws -> JSON {
        let count = try EngagementCount.count(db, sources: sources, from: range.from, to: range.to, areaPath: area.path)
        let target = try target(db).target
        let total = count.people + count.reportedReach
        return ["from": .string(range.from), "to": .string(range.to), "area": JSON(area.id), "target": .int(target),
                "people_engaged": small.count(count.people), "reported_reach": .int(count.reportedReach),
                "total": small.shown(count.people, .int(total)),
                "progress": small.shown(count.people, .double((Double(total) / Double(target) * 1000).rounded() / 1000)),
                "by_source": .object(count.bySource.map { ($0.0, small.count($0.1)) }),
                "by_area": .array(count.byArea.map { ["area_id": JSON($0.0), "people": small.count($0.1)] }),
                "by_month": .array(count.byMonth.map { ["month": .string($0.0), "new_people": small.count($0.1)] }),
                "suppression_threshold": small.thresholdJSON]
    }

    static func show(sources: [any EngagementSource]) -> Handler {
        { request, context in
            try request.query.allowOnly(["from", "to", "area"])
            let range = try MonthRange(request.query, now: context.now)
            let json = try context.read { db in
                try impactJSON(db, sources: sources, range: range, area: try scopedArea(request.query, principal: context.principal, db: db),
                               small: SmallCounts(for: context.principal))
            }
            return .json(json)
        }
    }

    @Sendable static func showSettings(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let (target, version) = try context.read { db in try ImpactRoutes.target(db) }
        return .resource(["target": .int(target), "version": .int(version)], version: version)
    }

    @Sendable static func updateSettings(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let target = input.int("target", required: true, in: 1...100_000_000)
        try input.finish()
        guard let target else { throw Problem.internalError() }
        guard context.principal?.scope == nil else { throw Problem.forbidden("The programme's target is set by an admin with no area scope.") }
        let version = try context.write { tx -> Int in
            let current = try ImpactRoutes.target(tx.db)
            try ETag.check(request, currentVersion: current.version)
            guard target != current.target else { return current.version }
            try tx.db.run("UPDATE impact_settings SET target = ?, updated_at = ?, version = version + 1 WHERE id = 1", [target, tx.now.rfc3339])
            try tx.audit("update", "impact_settings", "1", changes: ["target"])
            return current.version + 1
        }
        return .resource(["target": .int(target), "version": .int(version)], version: version)
    }

    /// `GET /v1/impact/report?from=&to=[&area=][&format=csv]` (or `Accept: text/csv`): for the
    /// board's reviews (3, 6 and 9 months, yearly): people engaged, each module's figures, every
    /// measure against its target in each of its periods in the range, and the survey changes,
    /// all for the area asked (or the caller's scope). CSV: one line per figure.
    static func report(sources: [any EngagementSource]) -> Handler {
        { request, context in
            try request.query.allowOnly(["from", "to", "area", "format"])
            let range = try MonthRange(request.query, now: context.now)
            let format = try request.query.oneOf("format", ["json", "csv"])
            let csv = format == "csv" || (format == nil && request.header("accept")?.contains("text/csv") == true)
            let small = SmallCounts(for: context.principal)
            let json = try context.read { db -> JSON in
                let area = try scopedArea(request.query, principal: context.principal, db: db)
                let modules = try DashboardRoutes.moduleFigures(db, first: range.firstDay, last: range.lastDay, areaPath: area.path, small: small)
                let measures = try db.query("SELECT \(Measure.columns) FROM measures WHERE \(Areas.within("area_id", "?1")) ORDER BY name, id",
                                            [area.path], Measure.init(row:))
                let measureRows: [JSON] = try measures.map { measure in
                    let periods = Period.covering(kind: measure.period, first: range.firstDay, last: range.lastDay)
                    return measure.json(with: "values", try MeasureSources.points(db, measure, periods: periods, sources: sources, small: small))
                }
                return ["from": .string(range.from), "to": .string(range.to), "area": JSON(area.id),
                        "impact": try impactJSON(db, sources: sources, range: range, area: area, small: small),
                        "modules": modules, "measures": .array(measureRows),
                        "surveys": try SurveyRoutes.changes(db, question: nil, areaId: nil, within: area.path)]
            }
            guard csv else { return .json(json) }
            var out = CSV.record(["section", "figure", "period", "value", "target"])
            let impact = json["impact"]
            out += CSV.record(["impact", "people_engaged", "\(range.from)..\(range.to)", csvValue(impact?["people_engaged"] ?? .null),
                               csvValue(impact?["target"] ?? .null)])
            out += CSV.record(["impact", "reported_reach", "\(range.from)..\(range.to)", csvValue(impact?["reported_reach"] ?? .null), ""])
            for (module, figures) in json["modules"]?.objectValue ?? [] {
                for (name, value) in figures.objectValue ?? [] { out += CSV.record([module, name, "\(range.from)..\(range.to)", csvValue(value), ""]) }
            }
            for measure in json["measures"]?.arrayValue ?? [] {
                for point in measure["values"]?.arrayValue ?? [] {
                    out += CSV.record(["measure", measure["name"]?.stringValue ?? "", point["period"]?.stringValue ?? "",
                                       csvValue(point["value"] ?? .null), csvValue(point["target"] ?? .null)])
                }
            }
            for change in json["surveys"]?.arrayValue ?? [] {
                out += CSV.record(["survey", "\(change["question"]?.stringValue ?? "") (\(change["area_id"]?.stringValue ?? "all"))",
                                   "\(change["baseline"]?["period"]?.stringValue ?? "")..\(change["follow_up"]?["period"]?.stringValue ?? "")",
                                   csvValue(change["change_points"] ?? .null), ""])
            }
            var response = Response.text(out, contentType: "text/csv; charset=utf-8")
            response.headers.add("Content-Disposition", "attachment; filename=\"progress-\(range.from)-\(range.to).csv\"")
            return response
        }
    }

    static func csvValue(_ value: JSON) -> String {
        switch value {
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() ? String(Int(d)) : String(d)
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        default: ""
        }
    }
}
