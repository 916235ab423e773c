import Foundation
import KithCore
import SQLiteStore

/// Finding groups: full-text search (FTS5, ranked, prefix and typo-tolerant), filters, distance
/// (R*Tree then great-circle distance) and four sort orders, keyset-paged.
///
/// The SQL is assembled from fixed fragments for the filters present; every value is bound.
struct GroupSearch {
    enum Sort: String, CaseIterable { case relevance, name, newest, distance }

    var text: String?
    var areaPath: String?
    var scopePath: String?
    var activities: [String] = []
    var beneficiaries: [String] = []
    var languages: [String] = []
    var needs: [String] = []
    var offers: [String] = []
    var kinds: [String] = []
    var statuses: [String] = ["verified"]
    var scale: String?
    var knownToCouncil: Bool?
    var worksWithCouncil: Bool?
    var newlyFormed: Bool?
    var possibleDuplicates: Bool?
    var near: (latitude: Double, longitude: Double, radiusKm: Double)?
    var updatedSince: Timestamp?
    var excludeId: String?
    /// Open Referral filters: a postcode district, and only groups with a place.
    var postcodeOutward: String?
    var locatedOnly = false
    var sort: Sort = .name

    static let filterParameters: Set<String> = [
        "q", "area", "activity", "beneficiary", "language", "needs", "offers", "kind", "status", "scale",
        "known_to_council", "works_with_council", "newly_formed", "possible_duplicates", "near", "radius_km", "sort",
    ]

    /// One result: the group and, for distance searches, how far it is.
    struct Hit {
        var group: Group
        var sortKey: JSON
        var distanceKm: Double?
    }

    // MARK: - Text queries

    /// Words of the query as an FTS5 query: each word a quoted prefix term, all required.
    static func wordQuery(_ text: String) -> String? {
        let words = Self.words(text)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }

    /// The distinct trigrams of the query's words (at most 40), for the typo-tolerant fallback.
    static func trigrams(_ text: String) -> [String] {
        var grams: [String] = []
        for word in words(text) where word.count >= 3 {
            let characters = Array(word)
            for i in 0...(characters.count - 3) {
                let gram = String(characters[i..<(i + 3)])
                if !grams.contains(gram) { grams.append(gram) }
            }
        }
        return Array(grams.prefix(40))
    }

    private static func words(_ text: String) -> [String] {
        text.lowercased().folding(options: .diacriticInsensitive, locale: nil)
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { !$0.isEmpty }.prefix(12).map { $0 }
    }

    // MARK: - Running

    func run(_ db: Database, after: [JSON]?, limit: Int, offset: Int = 0) throws -> [Hit] {
        let (sql, arguments) = try statement(db, after: after, limit: limit, offset: offset, countOnly: false)
        var hits = try db.query(sql, arguments) { row in
            let keyIndex = GroupStore.columnCount
            let key: JSON = switch row.value(keyIndex) {
            case .real(let d): .double(d)
            case .integer(let i): .int(Int(i))
            case .text(let t): .string(t)
            default: .null
            }
            return Hit(group: GroupStore.group(row), sortKey: key, distanceKm: row.optionalDouble(keyIndex + 1))
        }
        var groups = hits.map(\.group)
        try GroupStore.attachFacets(db, to: &groups)
        for i in hits.indices { hits[i].group = groups[i] }
        return hits
    }

    /// How many groups match (for page-numbered feeds).
    func count(_ db: Database) throws -> Int {
        let (sql, arguments) = try statement(db, after: nil, limit: -1, offset: 0, countOnly: true)
        return try db.scalarInt(sql, arguments) ?? 0
    }

    private func statement(_ db: Database, after: [JSON]?, limit: Int, offset: Int, countOnly: Bool) throws -> (String, [any SQLBindable]) {
        var sql = ""
        var arguments: [any SQLBindable] = []
        func bind(_ value: any SQLBindable) -> String {
            arguments.append(value)
            return "?\(arguments.count)"
        }

        // Text search: words (and word prefixes) first, ranked by bm25 with the name weighing most.
        // Only when no group has the words does it fall back to names sharing enough of the
        // query's trigrams (at least 40%, and two), ranked by their trigram similarity: so typos
        // like "leyten fod" still find "Leyton Food Bank" without every "-ing" name matching "knitting".
        var searching = false
        var relevance = "0"
        if let text, let wordQuery = Self.wordQuery(text) {
            searching = true
            let hasWordHits = try db.scalarInt("""
                SELECT EXISTS (SELECT 1 FROM group_text t JOIN groups g ON g.rowid = t.rowid
                               WHERE group_text MATCH ?1 AND g.status IN (SELECT value FROM json_each(?2)))
                """, [wordQuery, JSON(statuses).encodedString()]) == 1
            let grams = Self.trigrams(text)
            if hasWordHits || grams.isEmpty {
                sql += "WITH scored AS (SELECT rowid AS rid, bm25(group_text, 10.0, 2.0, 4.0) AS score FROM group_text WHERE group_text MATCH \(bind(wordQuery))) "
                relevance = "scored.score"
            } else {
                let matches = grams.map { "SELECT rowid AS rid FROM group_name_trigrams WHERE group_name_trigrams MATCH \(bind("\"\($0)\""))" }
                let needed = max(2, (grams.count * 2 + 4) / 5)
                sql += "WITH hits AS (\(matches.joined(separator: " UNION ALL "))), "
                sql += "scored AS (SELECT rid, count(*) AS score FROM hits GROUP BY rid HAVING count(*) >= \(bind(needed))) "
                // Jaccard similarity of trigram sets, negated so that lower sorts first like bm25.
                relevance = "round(-1.0 * scored.score / (\(bind(grams.count)) + max(length(g.name) - 2, 1) - scored.score), 6)"
            }
        }

        var distance = "NULL"
        if let near {
            let lat = bind(near.latitude), lon = bind(near.longitude)
            distance = "(6371.0 * 2 * asin(min(1.0, sqrt(pow(sin(radians(g.latitude - \(lat)) / 2), 2) + cos(radians(\(lat))) * cos(radians(g.latitude)) * pow(sin(radians(g.longitude - \(lon)) / 2), 2)))))"
        }
        let sortKey: String
        var descending = false
        switch sort {
        case .relevance: sortKey = searching ? relevance : "g.name_key"
        case .name: sortKey = "g.name_key"
        case .newest: sortKey = "g.created_at"; descending = true
        case .distance: sortKey = near != nil ? distance : "g.name_key"
        }

        sql += "SELECT \(GroupStore.columns), \(sortKey) AS sort_key, \(distance) AS distance_km FROM groups g "
        if searching { sql += "JOIN scored ON scored.rid = g.rowid " }
        var conditions: [String] = ["g.status IN (SELECT value FROM json_each(\(bind(JSON(statuses).encodedString()))))"]
        if let near {
            // The R*Tree narrows to a box around the point; the exact distance then trims its corners.
            let dLat = near.radiusKm / 111.0
            let dLon = near.radiusKm / max(0.01, 111.0 * cos(near.latitude * .pi / 180))
            sql += "JOIN group_points p ON p.id = g.rowid "
            conditions.append("p.min_lat >= \(bind(near.latitude - dLat)) AND p.max_lat <= \(bind(near.latitude + dLat))")
            conditions.append("p.min_lon >= \(bind(near.longitude - dLon)) AND p.max_lon <= \(bind(near.longitude + dLon))")
            conditions.append("\(distance) <= \(bind(near.radiusKm))")
        }
        for (path, all) in [(scopePath, false), (areaPath, true)] {
            guard let path else { continue }
            let p = bind(path)
            let inTree = "SELECT id FROM areas WHERE substr(path, 1, length(\(p))) = \(p)"
            // A scope limits to groups based in it; an area filter also finds groups operating there.
            conditions.append(all
                ? "(g.based_in IN (\(inTree)) OR g.id IN (SELECT group_id FROM group_facets WHERE facet = 'operates_in' AND value IN (\(inTree))))"
                : "g.based_in IN (\(inTree))")
        }
        for (facet, values) in [("activity", activities), ("beneficiary", beneficiaries), ("language", languages),
                                ("need", needs), ("offer", offers)] where !values.isEmpty {
            conditions.append("g.id IN (SELECT group_id FROM group_facets WHERE facet = '\(facet)' AND value IN (SELECT value FROM json_each(\(bind(JSON(values).encodedString())))))")
        }
        if !kinds.isEmpty { conditions.append("g.kind IN (SELECT value FROM json_each(\(bind(JSON(kinds).encodedString()))))") }
        if let scale { conditions.append("g.scale = \(bind(scale))") }
        if let knownToCouncil { conditions.append("g.known_to_council = \(bind(knownToCouncil))") }
        if let worksWithCouncil { conditions.append("g.works_with_council = \(bind(worksWithCouncil))") }
        if let newlyFormed { conditions.append("g.newly_formed = \(bind(newlyFormed))") }
        if let possibleDuplicates { conditions.append(possibleDuplicates ? "g.possible_duplicates <> '[]'" : "g.possible_duplicates = '[]'") }
        if let updatedSince { conditions.append("g.updated_at >= \(bind(updatedSince.rfc3339))") }
        if let excludeId { conditions.append("g.id <> \(bind(excludeId))") }
        if let postcodeOutward { conditions.append("g.postcode_outward = \(bind(postcodeOutward))") }
        if locatedOnly { conditions.append("(g.latitude IS NOT NULL OR g.postcode_outward IS NOT NULL)") }
        if let after, after.count == 2, let id = after[1].stringValue {
            let key = bind(Self.sqlValue(after[0]))
            let idParam = bind(id)
            conditions.append(descending
                ? "(\(sortKey) < \(key) OR (\(sortKey) = \(key) AND g.id < \(idParam)))"
                : "(\(sortKey) > \(key) OR (\(sortKey) = \(key) AND g.id > \(idParam)))")
        }
        sql += "WHERE " + conditions.joined(separator: " AND ")
        if countOnly {
            return ("SELECT count(*) FROM (\(sql))", arguments)
        }
        sql += descending ? " ORDER BY sort_key DESC, g.id DESC" : " ORDER BY sort_key, g.id"
        sql += " LIMIT \(bind(limit))"
        if offset > 0 { sql += " OFFSET \(bind(offset))" }
        return (sql, arguments)
    }

    private static func sqlValue(_ value: JSON) -> SQLValue {
        switch value {
        case .int(let i): .integer(Int64(i))
        case .double(let d): .real(d)
        case .string(let s): .text(s)
        default: .null
        }
    }
}
