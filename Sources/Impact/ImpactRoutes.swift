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

    static func impactJSON(_ db: Database, sources: [any EngagementSource], range: MonthRange, area: (id: String?, path: String?)) throws -> JSON {
        let count = try EngagementCount.count(db, sources: sources, from: range.from, to: range.to, areaPath: area.path)
        let target = try target(db).target
        let total = count.people + count.reportedReach
        return ["from": .string(range.from), "to": .string(range.to), "area": JSON(area.id), "target": .int(target),
                "people_engaged": .int(count.people), "reported_reach": .int(count.reportedReach), "total": .int(total),
                "progress": .double((Double(total) / Double(target) * 1000).rounded() / 1000),
                "by_source": .object(count.bySource.map { ($0.0, .int($0.1)) }),
                "by_area": .array(count.byArea.map { ["area_id": JSON($0.0), "people": .int($0.1)] }),
                "by_month": .array(count.byMonth.map { ["month": .string($0.0), "new_people": .int($0.1)] })]
    }

    static func show(sources: [any EngagementSource]) -> Handler {
        { request, context in
            try request.query.allowOnly(["from", "to", "area"])
            let range = try MonthRange(request.query, now: context.now)
            let json = try context.read { db in
                try impactJSON(db, sources: sources, range: range, area: try scopedArea(request.query, principal: context.principal, db: db))
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

    /// `GET /v1/impact/report?from=&to=[&area=][&format=csv]`: for the board's reviews (3, 6 and 9
    /// months, yearly): people engaged, each module's figures, every measure against its target,
    /// and the survey changes. CSV: one line per figure.
    static func report(sources: [any EngagementSource]) -> Handler {
        { request, context in
            try request.query.allowOnly(["from", "to", "area", "format"])
            let range = try MonthRange(request.query, now: context.now)
            let format = try request.query.oneOf("format", ["json", "csv"]) ?? "json"
            let json = try context.read { db -> JSON in
                let area = try scopedArea(request.query, principal: context.principal, db: db)
                let period = (first: range.firstDay, last: range.lastDay)
                let modules = try DashboardRoutes.moduleFigures(db, first: period.first, last: period.last, areaPath: area.path)
                let measures = try db.query("SELECT \(Measure.columns) FROM measures ORDER BY name, id", [], Measure.init(row:))
                let measureRows: [JSON] = try measures.map { measure in
                    let whole = Period(label: "\(range.from)..\(range.to)", first: period.first, last: period.last)
                    let value = try MeasureSources.value(db, measure, period: whole, sources: sources)
                    return ["measure_id": .string(measure.id), "name": .string(measure.name), "unit": .string(measure.unit), "value": JSON(value),
                            "target": .double(measure.target), "period": .string(measure.period),
                            "met": value.map { .bool($0 >= measure.target) } ?? .null]
                }
                return ["from": .string(range.from), "to": .string(range.to), "area": JSON(area.id),
                        "impact": try impactJSON(db, sources: sources, range: range, area: area),
                        "modules": modules, "measures": .array(measureRows), "surveys": try SurveyRoutes.changes(db, question: nil, areaId: nil)]
            }
            guard format == "csv" else { return .json(json) }
            var out = CSV.record(["section", "figure", "value", "target"])
            out += CSV.record(["impact", "people_engaged", "\(json["impact"]?["people_engaged"]?.intValue ?? 0)", "\(json["impact"]?["target"]?.intValue ?? 0)"])
            out += CSV.record(["impact", "reported_reach", "\(json["impact"]?["reported_reach"]?.intValue ?? 0)", ""])
            for (module, figures) in json["modules"]?.objectValue ?? [] {
                for (name, value) in figures.objectValue ?? [] { out += CSV.record([module, name, csvValue(value), ""]) }
            }
            for measure in json["measures"]?.arrayValue ?? [] {
                out += CSV.record(["measure", measure["name"]?.stringValue ?? "", csvValue(measure["value"] ?? .null), csvValue(measure["target"] ?? .null)])
            }
            for change in json["surveys"]?.arrayValue ?? [] {
                out += CSV.record(["survey", "\(change["question"]?.stringValue ?? "") (\(change["area_id"]?.stringValue ?? "all"))",
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

extension Period {
    init(label: String, first: String, last: String) {
        self.label = label
        self.first = first
        self.last = last
    }
}
