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
    /// Trigrams a name must share (the typo fallback's candidate query).
    var trigramFilter: [String]?
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

    static func words(_ text: String) -> [String] {
        text.lowercased().folding(options: .diacriticInsensitive, locale: nil)
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { !$0.isEmpty }.prefix(12).map { $0 }
    }

    // MARK: - Running

    func run(_ db: Database, after: [JSON]?, limit: Int, offset: Int = 0) throws -> [Hit] {
        if let typos = try typoCandidates(db) {
            // Facets only for the page returned, not for every candidate.
            var hits = Array(page(of: typos, after: after).dropFirst(offset).prefix(limit))
            var groups = hits.map(\.group)
            try GroupStore.attachFacets(db, to: &groups)
            for i in hits.indices { hits[i].group = groups[i] }
            return hits
        }
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
        if let typos = try typoCandidates(db) { return typos.count }
        let (sql, arguments) = try statement(db, after: nil, limit: -1, offset: 0, countOnly: true)
        return try db.scalarInt(sql, arguments) ?? 0
    }

    // MARK: - Typo-tolerant fallback

    /// When no group has the query's words, the groups whose names are most like them, scored in
    /// Swift (word-by-word edit similarity, at least 0.5) and sorted as asked, without their facets.
    /// Nil when the words match (the normal path).
    private func typoCandidates(_ db: Database) throws -> [Hit]? {
        guard let text, let wordQuery = Self.wordQuery(text) else { return nil }
        let grams = Self.trigrams(text)
        guard !grams.isEmpty, try !hasWordHits(db, wordQuery) else { return nil }
        var candidateSearch = self
        candidateSearch.text = nil
        candidateSearch.trigramFilter = grams
        candidateSearch.sort = near != nil ? .distance : .name
        let (sql, arguments) = try candidateSearch.statement(db, after: nil, limit: 2000, offset: 0, countOnly: false)
        let queryWords = Self.words(text)
        var hits: [Hit] = try db.query(sql, arguments) { row in
            Hit(group: GroupStore.group(row), sortKey: .null, distanceKm: row.optionalDouble(GroupStore.columnCount + 1))
        }.compactMap { hit in
            let score = Self.similarity(queryWords, Self.words(hit.group.name))
            guard score >= 0.5 else { return nil }
            var hit = hit
            switch sort {
            case .relevance: hit.sortKey = .double(-(score * 1_000_000).rounded() / 1_000_000)
            case .name: hit.sortKey = .string(Rules.nameKey(hit.group.name))
            case .newest: hit.sortKey = .string(hit.group.createdAt)
            case .distance: hit.sortKey = hit.distanceKm.map { .double($0) } ?? .null
            }
            return hit
        }
        hits.sort { a, b in
            let descending = sort == .newest
            if a.sortKey == b.sortKey { return descending ? a.group.id > b.group.id : a.group.id < b.group.id }
            return descending ? Self.less(b.sortKey, a.sortKey) : Self.less(a.sortKey, b.sortKey)
        }
        return hits  // without facets: `run` attaches them to the page it returns
    }

    /// The hits after a cursor, in the order already sorted.
    private func page(of hits: [Hit], after: [JSON]?) -> ArraySlice<Hit> {
        guard let after, after.count == 2, let id = after[1].stringValue else { return hits[...] }
        guard let index = hits.firstIndex(where: { $0.sortKey == after[0] && $0.group.id == id }) else {
            // The row is gone: continue from where it would have been.
            let descending = sort == .newest
            return hits.drop { hit in
                hit.sortKey == after[0] ? (descending ? hit.group.id >= id : hit.group.id <= id)
                    : (descending ? Self.less(after[0], hit.sortKey) : Self.less(hit.sortKey, after[0]))
            }
        }
        return hits[(index + 1)...]
    }

    private static func less(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x < y
        case (.null, _): return false
        case (_, .null): return true
        default: return (a.doubleValue ?? 0) < (b.doubleValue ?? 0)
        }
    }

    /// Mean over the query's words of the best edit similarity to a word of the name.
    static func similarity(_ query: [String], _ name: [String]) -> Double {
        guard !query.isEmpty, !name.isEmpty else { return 0 }
        let total = query.reduce(0.0) { sum, word in
            sum + (name.map { candidate in
                1 - Double(editDistance(word, candidate)) / Double(max(word.count, candidate.count))
            }.max() ?? 0)
        }
        return total / Double(query.count)
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    private func hasWordHits(_ db: Database, _ wordQuery: String) throws -> Bool {
        try db.scalarInt("""
            SELECT EXISTS (SELECT 1 FROM group_text t JOIN groups g ON g.rowid = t.rowid
                           WHERE group_text MATCH ?1 AND +g.status IN (SELECT value FROM json_each(?2)))
            """, [wordQuery, JSON(statuses).encodedString()]) == 1
    }

    private func statement(_ db: Database, after: [JSON]?, limit: Int, offset: Int, countOnly: Bool) throws -> (String, [any SQLBindable]) {
        var sql = ""
        var arguments: [any SQLBindable] = []
        func bind(_ value: any SQLBindable) -> String {
            arguments.append(value)
            return "?\(arguments.count)"
        }

        // Text search: words (and word prefixes), ranked by bm25 with the name weighing most, and
        // a name that is the query, or holds it as a phrase, ranked above the rest. The FTS match is
        // materialised first, so the planner never re-runs it per candidate row. (When no group has
        // the words, `typoCandidates` takes over before this is reached.)
        var searching = false
        var relevance = "0"
        if let text, let wordQuery = Self.wordQuery(text) {
            searching = true
            sql += "WITH scored AS MATERIALIZED (SELECT rowid AS rid, bm25(group_text, 10.0, 2.0, 4.0) AS score FROM group_text WHERE group_text MATCH \(bind(wordQuery))) "
            let phrase = bind(Rules.nameKey(text))
            relevance = """
                round(scored.score - CASE WHEN g.name_key = \(phrase) THEN 100.0
                    WHEN instr(' ' || g.name_key || ' ', ' ' || \(phrase) || ' ') > 0 THEN 20.0 ELSE 0.0 END, 6)
                """
        } else if let trigramFilter, !trigramFilter.isEmpty {
            // Candidates for the typo fallback: names sharing at least 40% (and two) of the trigrams.
            let matches = trigramFilter.map { "SELECT rowid AS rid FROM group_name_trigrams WHERE group_name_trigrams MATCH \(bind("\"\($0)\""))" }
            sql += "WITH hits AS (\(matches.joined(separator: " UNION ALL "))), "
            sql += "scored AS MATERIALIZED (SELECT rid, count(*) AS score FROM hits GROUP BY rid HAVING count(*) >= \(bind(max(2, (trigramFilter.count * 2 + 4) / 5)))) "
            searching = true
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
        // `+` keeps the planner off the status index: nearly every row is verified, so it never narrows much.
        var conditions: [String] = ["+g.status IN (SELECT value FROM json_each(\(bind(JSON(statuses).encodedString()))))"]
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
