import Foundation
import Areas
import KithCore
import SQLiteStore

/// People engaged across the modules, each counted once: a person in People is one person
/// whichever modules they took part in; people a module knows only by name (network residents)
/// count once each; reported reach (funded projects, group sessions) is added as reported,
/// since it cannot be told apart from the rest.
struct EngagementCount {
    var people = 0
    var bySource: [(String, Int)] = []
    var byArea: [(String?, Int)] = []
    var byMonth: [(String, Int)] = []
    var reportedReach = 0

    static func count(_ db: Database, sources: [any EngagementSource], from: String, to: String, areaPath: String?) throws -> EngagementCount {
        var all: [(source: String, engagement: Engagement)] = []
        var reach = 0
        let inArea = try areaFilter(db, areaPath: areaPath)
        for source in sources {
            for e in try source.engagements(db, from: from, to: to) where inArea(e.areaId) { all.append((source.name, e)) }
            reach += try source.reportedReach(db, from: from, to: to).filter { inArea($0.areaId) }.reduce(0) { $0 + $1.people }
        }
        // First engagement per person: their month and area.
        var first: [String: Engagement] = [:]
        var sources: [String: Set<String>] = [:]
        for (source, e) in all {
            if let known = first[e.who], known.month <= e.month {} else { first[e.who] = e }
            sources[source, default: []].insert(e.who)
        }
        var result = EngagementCount()
        result.people = first.count
        result.bySource = sources.keys.sorted().map { ($0, sources[$0]?.count ?? 0) }
        var areas: [String?: Int] = [:]
        var months: [String: Int] = [:]
        for e in first.values {
            areas[e.areaId, default: 0] += 1
            months[e.month, default: 0] += 1
        }
        result.byArea = areas.sorted { ($0.key ?? "~") < ($1.key ?? "~") }.map { ($0.key, $0.value) }
        result.byMonth = months.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        result.reportedReach = reach
        return result
    }

    /// A test for "inside the area": ids resolved to paths once.
    static func areaFilter(_ db: Database, areaPath: String?) throws -> (String?) -> Bool {
        guard let areaPath else { return { _ in true } }
        let inside = Set(try db.query("SELECT id FROM areas WHERE substr(path, 1, length(?1)) = ?1", [areaPath]) { $0.string(0) })
        return { $0.map { inside.contains($0) } ?? false }
    }
}

/// A month range from `from`/`to` query parameters (YYYY-MM), defaulting to this calendar year.
struct MonthRange {
    var from: String
    var to: String

    init(_ query: Query, now: Timestamp) throws {
        let year = String(now.date.prefix(4))
        from = query.string("from") ?? "\(year)-01"
        to = query.string("to") ?? String(now.date.prefix(7))
        for (name, month) in [("from", from), ("to", to)] where month.range(of: #"^\d{4}-(0[1-9]|1[0-2])$"#, options: .regularExpression) == nil {
            throw Problem.badRequest("\(name) must be a month as YYYY-MM.", errors: [FieldError(name, "must be YYYY-MM")])
        }
        guard from <= to else { throw Problem.badRequest("from must not be after to.", errors: [FieldError("to", "must not be before from")]) }
    }

    /// First and last day, YYYY-MM-DD.
    var firstDay: String { from + "-01" }
    var lastDay: String {
        guard let year = Int(to.prefix(4)), let month = Int(to.suffix(2)) else { return to + "-28" }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return "\(to)-\(days)"
    }
}

/// The area a caller asks about, within their scope: (id, path), or (nil, scope path).
func scopedArea(_ query: Query, principal: Principal?, db: Database) throws -> (id: String?, path: String?) {
    var path = try scopePath(db, principal)
    var id = path == nil ? nil : principal?.scope?.id
    if let area = query.string("area") {
        guard let asked = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).", errors: [FieldError("area", "is not an area")]) }
        if let limit = path, !asked.hasPrefix(limit) { throw Problem.forbidden("Area \(area) is outside this key's scope.") }
        (id, path) = (area, asked)
    }
    return (id, path)
}
