import Areas
import Foundation
import KithCore
import SQLiteStore

/// `GET /v1/groups/dashboard`: the figures behind the community-map dashboard.
enum Reports {
    /// Counts from 1 to this minus one are hidden from the public, so no group can be singled out.
    static let suppressionThreshold = SmallCounts.threshold

    @Sendable static func dashboard(_ request: Request, _ context: RequestContext) throws -> Response {
        let query = request.query
        try query.allowOnly(["area", "from", "to", "status"])
        let from = try query.timestamp("from")
        let to = try query.timestamp("to")
        let role = context.principal?.role
        let exact = role == .admin || role == .officer || role == .viewer
        let staff = Visibility.seesAll(context.principal)
        var statuses = ["verified"]
        if let status = try query.oneOf("status", ["pending", "verified", "inactive", "closed", "all"]), status != "verified" {
            guard staff else { throw Problem.forbidden("Only council staff may count groups that are not verified.") }
            statuses = status == "all" ? ["pending", "verified", "inactive", "closed"] : [status]
        }
        return try context.read { db in
            var areaPath: String?
            var area: Area?
            if let id = query.string("area") {
                guard let found = try Areas.find(db, id: id) else {
                    throw Problem.badRequest("There is no area \(id).", errors: [FieldError("area", "is not an area")])
                }
                area = found
                areaPath = found.path
            }
            // Staff and viewers see exact figures, but only for their own scope.
            let scopePath = exact ? try Visibility.scopePath(context.principal, db: db) : nil
            let figures = try Figures(db: db, statuses: statuses, areaPath: areaPath, scopePath: scopePath, from: from, to: to,
                                      parentId: area?.id, now: context.now)
            return .json(try figures.json(exact: exact, staff: staff, area: area, from: from, to: to))
        }
    }

    /// The counts for one dashboard, read in one snapshot.
    struct Figures {
        let db: Database
        let base: String
        var arguments: [any SQLBindable]
        let parentId: String?
        let now: Timestamp

        init(db: Database, statuses: [String], areaPath: String?, scopePath: String?, from: Timestamp?, to: Timestamp?,
             parentId: String?, now: Timestamp) throws {
            self.db = db
            self.parentId = parentId
            self.now = now
            // The groups counted: in the chosen area (by where they are based), the caller's scope,
            // the statuses and the period they were added to the map.
            base = """
                SELECT g.* FROM groups g
                WHERE g.status IN (SELECT value FROM json_each(?1))
                  AND \(Areas.within("g.based_in", "?2"))
                  AND \(Areas.within("g.based_in", "?3"))
                  AND (?4 IS NULL OR g.created_at >= ?4) AND (?5 IS NULL OR g.created_at < ?5)
                """
            arguments = [JSON(statuses).encodedString(), areaPath, scopePath, from?.rfc3339, to?.rfc3339]
        }

        /// Groups in the base set meeting `condition` (which may use ?6 for `extra`).
        func count(_ condition: String = "1", _ extra: [any SQLBindable] = []) throws -> Int {
            try db.scalarInt("WITH base AS (\(base)) SELECT count(*) FROM base g WHERE \(condition)", arguments + extra) ?? 0
        }

        func grouped(_ column: String) throws -> [String: Int] {
            var result: [String: Int] = [:]
            try db.forEach("WITH base AS (\(base)) SELECT \(column), count(*) FROM base g WHERE \(column) IS NOT NULL GROUP BY 1", arguments) {
                result[$0.string(0)] = $0.int(1)
            }
            return result
        }

        func facet(_ facet: String) throws -> [String: Int] {
            var result: [String: Int] = [:]
            try db.forEach("""
                WITH base AS (\(base))
                SELECT f.value, count(*) FROM group_facets f JOIN base g ON g.id = f.group_id WHERE f.facet = ?6 GROUP BY f.value
                """, arguments + [facet]) { result[$0.string(0)] = $0.int(1) }
            return result
        }

        /// The areas one level down (the councils when no area is chosen), each with the groups
        /// based anywhere inside it.
        func byArea() throws -> [(id: String, name: String, count: Int)] {
            try db.query("""
                WITH base AS (\(base))
                SELECT c.id, c.name, count(g.id) FROM areas c
                LEFT JOIN areas d ON substr(d.path, 1, length(c.path)) = c.path
                LEFT JOIN base g ON g.based_in = d.id
                WHERE c.parent_id IS ?6 GROUP BY c.id ORDER BY c.name
                """, arguments + [parentId]) { (id: $0.string(0), name: $0.string(1), count: $0.int(2)) }
        }

        /// Area × beneficiary: groups based in each area that serve each beneficiary group.
        func gaps() throws -> [String: [String: Int]] {
            var cells: [String: [String: Int]] = [:]
            try db.forEach("""
                WITH base AS (\(base))
                SELECT c.id, f.value, count(DISTINCT g.id) FROM areas c
                JOIN areas d ON substr(d.path, 1, length(c.path)) = c.path
                JOIN base g ON g.based_in = d.id
                JOIN group_facets f ON f.group_id = g.id AND f.facet = 'beneficiary'
                WHERE c.parent_id IS ?6 GROUP BY c.id, f.value
                """, arguments + [parentId]) { cells[$0.string(0), default: [:]][$0.string(1)] = $0.int(2) }
            return cells
        }

        func json(exact: Bool, staff: Bool, area: Area?, from: Timestamp?, to: Timestamp?) throws -> JSON {
            let threshold = Reports.suppressionThreshold
            func hidden(_ n: Int) -> Bool { !exact && n > 0 && n < threshold }
            func figure(_ n: Int) -> JSON { hidden(n) ? .null : .int(n) }
            /// A pair that adds up to the total: if either is hidden, both are, or subtraction
            /// would reveal it.
            func pair(_ a: Int, _ b: Int) -> (JSON, JSON) {
                hidden(a) || hidden(b) ? (exact ? (.int(a), .int(b)) : (.null, .null)) : (.int(a), .int(b))
            }
            func counts(_ values: [String: Int], _ terms: [Vocabulary.Term]) -> JSON {
                .array(terms.map { term in
                    let n = values[term.value] ?? 0
                    var pairs: [(String, JSON)] = [("value", .string(term.value)), ("label", .string(term.label)), ("count", figure(n))]
                    if !exact && n > 0 && n < threshold { pairs.append(("suppressed", true)) }
                    return .object(pairs)
                })
            }
            let scaleTerms = Vocabulary.scales.map { Vocabulary.Term(value: $0, label: $0.replacingOccurrences(of: "_", with: " ")) }
            let areas = try byArea()
            let gapCells = try gaps()
            let dueCutoff = now.adding(seconds: -Rules.confirmationIntervalSeconds).rfc3339
            let total = try count()
            let known = try count("g.known_to_council = 1")
            let working = try count("g.works_with_council = 1")

            var pairs: [(String, JSON)] = [
                ("area", JSON(area?.id)), ("from", JSON(from?.rfc3339)), ("to", JSON(to?.rfc3339)),
                ("suppression_threshold", exact ? .null : .int(threshold)),
                ("total", figure(total)),
            ]
            if staff {
                // Across every status, whatever the status filter, so pending work is always visible.
                var all = self
                all.arguments[0] = JSON(["pending", "verified", "inactive", "closed"]).encodedString()
                let byStatus = try all.grouped("g.status")
                pairs.append(("by_status", .object(Vocabulary.statuses.filter { $0 != "merged" }.map { ($0, .int(byStatus[$0] ?? 0)) })))
            }
            // Areas add up to the total: when one area is hidden, the next smallest is hidden too
            // (secondary suppression), so no hidden count is the total minus the others.
            var hiddenAreas = Set(areas.filter { hidden($0.count) }.map(\.id))
            if hiddenAreas.count == 1, let next = areas.filter({ !hiddenAreas.contains($0.id) && $0.count > 0 }).min(by: { $0.count < $1.count }) {
                hiddenAreas.insert(next.id)
            }
            let (knownJSON, unknownJSON) = pair(known, total - known)
            let (workingJSON, notWorkingJSON) = pair(working, total - working)
            func cell(_ n: Int, hide: Bool) -> [(String, JSON)] {
                !exact && hide ? [("count", .null), ("suppressed", true)] : [("count", .int(n))]
            }
            pairs += [
                ("by_area", .array(areas.map {
                    .object([("area", .string($0.id)), ("name", .string($0.name))] + cell($0.count, hide: hiddenAreas.contains($0.id)))
                })),
                ("by_activity", counts(try facet("activity"), Vocabulary.activities)),
                ("by_beneficiary", counts(try facet("beneficiary"), Vocabulary.beneficiaries)),
                ("by_kind", counts(try grouped("g.kind"), Vocabulary.kinds)),
                ("by_scale", counts(try grouped("g.scale"), scaleTerms)),
                ("by_need", counts(try facet("need"), Vocabulary.needs)),
                ("by_offer", counts(try facet("offer"), Vocabulary.offers)),
                ("previously_unknown_to_council", unknownJSON),
                ("known_to_council", knownJSON),
                ("working_with_council", workingJSON),
                ("not_working_with_council", notWorkingJSON),
                ("newly_formed", figure(try count("g.newly_formed = 1"))),
                ("needing_council_help", figure(try count("g.id IN (SELECT group_id FROM group_facets WHERE facet = 'need')"))),
                ("due_for_confirmation", figure(try count("g.status = 'verified' AND g.last_confirmed_at <= ?6", [dueCutoff]))),
                ("gaps", .array(areas.map { area in
                    let cells = Vocabulary.beneficiaries.map { term -> JSON in
                        let n = gapCells[area.id]?[term.value] ?? 0
                        let flag = n == 0 ? "none" : n < threshold ? "few" : "ok"
                        return .object([("beneficiary", .string(term.value))] + cell(n, hide: hidden(n)) + [("flag", .string(flag))])
                    }
                    return ["area": .string(area.id), "name": .string(area.name), "cells": .array(cells)]
                })),
            ]
            return .object(pairs)
        }
    }
}
