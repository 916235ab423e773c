import Foundation
import Areas
import Funding
import Groups
import KithCore
import Matching
import SQLiteStore
import TimeCredits

/// Officers' measures of performance: each a figure computed from the modules (or entered by hand
/// where no module holds it), with a target per period, shown as actual against target over time.
struct Measure {
    var id: String
    var name: String
    var unit: String
    var source: String
    var target: Double
    var period: String
    var areaId: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let columns = "id, name, unit, source, target, period, area_id, created_at, updated_at, version"
    static let periods = ["month", "quarter", "year"]

    init(row: Row) {
        id = row.string(0); name = row.string(1); unit = row.string(2); source = row.string(3); target = row.double(4)
        period = row.string(5); areaId = row.optionalString(6); createdAt = row.string(7); updatedAt = row.string(8); version = row.int(9)
    }

    var json: JSON {
        ["id": .string(id), "name": .string(name), "unit": .string(unit), "source": .string(source), "target": .double(target),
         "period": .string(period), "area_id": JSON(areaId), "created_at": .string(createdAt), "updated_at": .string(updatedAt),
         "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Measure? {
        try db.queryOne("SELECT \(columns) FROM measures WHERE id = ?", [id], Measure.init(row:))
    }

    /// The measure, if it exists and the caller's scope reaches its area (a scoped key does not
    /// see programme-wide measures or another council's): otherwise 404.
    static func require(_ db: Database, id: String, for principal: Principal?) throws -> Measure {
        guard let measure = try find(db, id: id), try Areas.scopeAllows(principal, areaId: measure.areaId, db: db) else {
            throw Problem.notFound("No measure \(id).")
        }
        return measure
    }

    /// The measure with one more field (`series` or `values`).
    func json(with key: String, _ value: JSON) -> JSON {
        guard case .object(var pairs) = json else { return json }
        pairs.append((key, value))
        return .object(pairs)
    }
}

/// The subtree a scoped key is limited to (its area's path), or nil for an unscoped key.
func scopePath(_ db: Database, _ principal: Principal?) throws -> String? {
    guard let scope = principal?.scope else { return nil }
    guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { throw Problem.forbidden("This key's scope holds no area.") }
    return path
}

/// The figures a measure can be computed from; `manual` means entered by hand.
enum MeasureSources {
    static let computed: [(name: String, description: String)] = [
        ("people_engaged", "distinct people taking part across the modules in the period"),
        ("groups_mapped", "verified groups on the map at the end of the period"),
        ("new_groups_found", "groups that came onto the map in the period"),
        ("new_groups_new_to_council", "groups new to the council that came onto the map in the period"),
        ("active_fan_matches", "FAN buddy matches active at the end of the period"),
        ("active_befriending_matches", "befriending matches active at the end of the period"),
        ("hours_volunteered", "approved volunteering hours in Time Credits in the period"),
        ("credits_earned", "Time Credits issued for volunteering in the period"),
        ("grants_awarded", "grants awarded in the period"),
        ("grants_to_new_groups", "grants awarded in the period to groups new to the council"),
    ]
    static var names: [String] { computed.map(\.name) + ["manual"] }

    /// The measure's value for one period (first and last day), or nil for a manual measure
    /// without an entry; and how many people a computed figure rests on (nil: not about people,
    /// or entered by hand as an aggregate), so small ones can be withheld from viewers.
    static func value(_ db: Database, _ measure: Measure, period: Period, sources: [any EngagementSource]) throws -> (value: Double?, people: Int?) {
        let path = try measure.areaId.flatMap { try Areas.subtreePath(db, id: $0) }
        switch measure.source {
        case "people_engaged":
            let people = try EngagementCount.count(db, sources: sources, from: String(period.first.prefix(7)), to: String(period.last.prefix(7)),
                                                   areaPath: path).people
            return (Double(people), people)
        case "groups_mapped": return (Double(try GroupFigures.mapped(db, to: period.last, areaPath: path)), nil)
        case "new_groups_found": return (Double(try GroupFigures.found(db, from: period.first, to: period.last, areaPath: path)), nil)
        case "new_groups_new_to_council":
            return (Double(try GroupFigures.found(db, from: period.first, to: period.last, areaPath: path, newToCouncilOnly: true)), nil)
        case "active_fan_matches", "active_befriending_matches":
            let scheme = measure.source == "active_fan_matches" ? "fan" : "befriending"
            let matches = try MatchingFigures.activeMatches(db, scheme: scheme, to: period.last, areaPath: path)
            return (Double(matches), matches)
        case "hours_volunteered", "credits_earned":
            let given = try CreditFigures.hoursAndCredits(db, from: period.first, to: period.last, areaPath: path)
            return (measure.source == "hours_volunteered" ? given.hours : Double(given.credits), given.people)
        case "grants_awarded": return (Double(try FundingFigures.awarded(db, from: period.first, to: period.last, areaPath: path).grants), nil)
        case "grants_to_new_groups": return (Double(try FundingFigures.awarded(db, from: period.first, to: period.last, areaPath: path).toNewGroups), nil)
        default:
            let entered = try db.queryOne("SELECT value FROM measure_values WHERE measure_id = ? AND period = ?", [measure.id, period.label]) { $0.double(0) }
            return (entered, nil)
        }
    }
}

extension MeasureSources {
    /// The measure against its target in each period: `{period, value, target, met}`. A value
    /// resting on 1 to 4 people is withheld (with `met`) from viewers.
    static func points(_ db: Database, _ measure: Measure, periods: [Period], sources: [any EngagementSource], small: SmallCounts) throws -> JSON {
        .array(try periods.map { period in
            let figure = try value(db, measure, period: period, sources: sources)
            let value = figure.people.map { small.hides($0) } == true ? nil : figure.value
            return ["period": .string(period.label), "value": JSON(value), "target": .double(measure.target),
                    "met": value.map { .bool($0 >= measure.target) } ?? .null]
        })
    }
}

/// A reporting period: `2026-11` (month), `2026-Q4` (quarter) or `2026` (year).
struct Period: Equatable {
    var label: String
    var first: String
    var last: String

    /// Only the three exact spellings: anything else (`2026-Q04`, `2026-+1`, `2026-`) is no
    /// period, so a hand-entered value is always stored where the series will look for it.
    init?(_ label: String) {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        func digits(_ text: String, count: Int) -> Int? {
            text.utf8.count == count && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ? Int(text) : nil
        }
        guard parts.count <= 2, let year = digits(parts[0], count: 4), (2000...2100).contains(year) else { return nil }
        func last(_ month: Int) -> String {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let day = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            return String(format: "%04d-%02d-%02d", year, month, day)
        }
        if parts.count == 1 {
            (self.label, first, self.last) = (label, "\(year)-01-01", "\(year)-12-31")
        } else if parts[1].hasPrefix("Q") {
            guard let q = digits(String(parts[1].dropFirst()), count: 1), (1...4).contains(q) else { return nil }
            (self.label, first, self.last) = (label, String(format: "%04d-%02d-01", year, q * 3 - 2), last(q * 3))
        } else {
            guard let m = digits(parts[1], count: 2), (1...12).contains(m) else { return nil }
            (self.label, first, self.last) = (label, String(format: "%04d-%02d-01", year, m), last(m))
        }
    }

    var kind: String { label.count == 4 ? "year" : label.contains("Q") ? "quarter" : "month" }

    /// The periods of `kind` that overlap `first...last` (YYYY-MM-DD), oldest first.
    static func covering(kind: String, first: String, last: String) -> [Period] {
        guard let fy = Int(first.prefix(4)), let fm = Int(first.dropFirst(5).prefix(2)),
              let ly = Int(last.prefix(4)), let lm = Int(last.dropFirst(5).prefix(2)) else { return [] }
        let count = switch kind {
        case "year": ly - fy + 1
        case "quarter": (ly * 4 + (lm - 1) / 3) - (fy * 4 + (fm - 1) / 3) + 1
        default: (ly * 12 + lm) - (fy * 12 + fm) + 1
        }
        return count > 0 ? series(kind: kind, endingAt: last, count: count) : []
    }

    /// The `count` periods of `kind` ending with the one holding `date` (YYYY-MM-DD), oldest first.
    static func series(kind: String, endingAt date: String, count: Int) -> [Period] {
        guard let year = Int(date.prefix(4)), let month = Int(date.dropFirst(5).prefix(2)) else { return [] }
        return (0..<count).reversed().compactMap { back -> Period? in
            switch kind {
            case "year": return Period(String(year - back))
            case "quarter":
                let index = year * 4 + (month - 1) / 3 - back
                return Period("\(index / 4)-Q\(index % 4 + 1)")
            default:
                let index = year * 12 + month - 1 - back
                return Period(String(format: "%04d-%02d", index / 12, index % 12 + 1))
            }
        }
    }
}
