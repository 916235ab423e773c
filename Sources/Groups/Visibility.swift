import Areas
import KithCore
import SQLiteStore

/// Who sees what of a group, and who may change it.
enum Visibility {
    /// Council staff whose scope reaches the group's area see everything; a group's own key sees
    /// its own record; everyone else sees public fields of verified groups only.
    static func view(of group: Group, for principal: Principal?, db: Database) throws -> Group.View? {
        if try isStaff(principal, for: group, db: db) { return .full }
        if isOwnGroup(principal, group) { return .full }
        return group.status == "verified" ? .publicView : nil
    }

    /// Officers and admins whose scope reaches the group.
    static func isStaff(_ principal: Principal?, for group: Group, db: Database) throws -> Bool {
        guard let role = principal?.role, role == .admin || role == .officer else { return false }
        return try Areas.scopeAllows(principal, areaId: group.basedIn, db: db)
    }

    static func isOwnGroup(_ principal: Principal?, _ group: Group) -> Bool {
        principal?.role == .group && principal?.scope == Scope(kind: .group, id: group.id)
    }

    /// True for callers who see every status and every field in lists (officers and admins);
    /// their lists are still limited to their scope.
    static func seesAll(_ principal: Principal?) -> Bool {
        principal?.role == .admin || principal?.role == .officer
    }

    /// The path of the area subtree a key is limited to: nil for an unscoped key; a path that
    /// matches nothing for a key scoped to something other than an area (or to a missing area).
    static func scopePath(_ principal: Principal?, db: Database) throws -> String? {
        guard let scope = principal?.scope else { return nil }
        guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return "/\u{0}none/" }
        return path
    }

    /// Loads a group the caller may change, or throws 404 (403 would reveal that it exists).
    static func editable(_ db: Database, id: String, by principal: Principal?, allowOwnGroup: Bool) throws -> Group {
        guard let group = try GroupStore.find(db, id: id) else { throw Problem.notFound("No group \(id).") }
        if try isStaff(principal, for: group, db: db) { return group }
        if allowOwnGroup && isOwnGroup(principal, group) { return group }
        if try view(of: group, for: principal, db: db) != nil {
            throw Problem.forbidden("This key may not change group \(id).")
        }
        throw Problem.notFound("No group \(id).")
    }
}

/// What other modules may read of the directory.
public enum Directory {
    /// A group by id (any status), with its lists.
    public static func find(_ db: Database, id: String) throws -> Group? {
        try GroupStore.find(db, id: id)
    }

    /// The public view of a group, or nil when the public may not see it.
    public static func publicJSON(_ group: Group) -> JSON? {
        group.status == "verified" ? group.json(.publicView) : nil
    }
}

extension Directory {
    /// Verified groups based or operating in an area's subtree that do any of `activities` or
    /// serve any of `beneficiaries`, by name (welcome packs, signposting).
    public static func find(_ db: Database, inArea areaId: String, activities: [String], beneficiaries: [String], limit: Int) throws -> [Group] {
        guard let path = try Areas.subtreePath(db, id: areaId) else { return [] }
        var search = GroupSearch()
        search.areaPath = path
        search.sort = .name
        var found: [String: Group] = [:]
        for (field, values) in [("activity", activities), ("beneficiary", beneficiaries)] where !values.isEmpty {
            var query = search
            if field == "activity" { query.activities = values } else { query.beneficiaries = values }
            for hit in try query.run(db, after: nil, limit: limit) { found[hit.group.id] = hit.group }
        }
        return found.values.sorted { ($0.name, $0.id) < ($1.name, $1.id) }.prefix(limit).map { $0 }
    }
}

/// Figures other modules (Impact) read about the community map.
public enum GroupFigures {
    /// Verified groups on the map at the end of `to` (YYYY-MM-DD), based inside `areaPath` (nil: all).
    public static func mapped(_ db: Database, to: String, areaPath: String?) throws -> Int {
        try db.scalarInt("""
            SELECT count(*) FROM groups g WHERE g.status = 'verified' AND substr(g.created_at, 1, 10) <= ?1
              AND \(Areas.within("g.based_in", "?2"))
            """, [to, areaPath]) ?? 0
    }

    /// Groups that came onto the map between `from` and `to` (YYYY-MM-DD), new to the council or not.
    public static func found(_ db: Database, from: String, to: String, areaPath: String?, newToCouncilOnly: Bool = false) throws -> Int {
        try db.scalarInt("""
            SELECT count(*) FROM groups g WHERE g.status IN ('pending', 'verified') AND substr(g.created_at, 1, 10) BETWEEN ?1 AND ?2
              AND \(Areas.within("g.based_in", "?3"))
              AND (?4 = 0 OR g.known_to_council = 0)
            """, [from, to, areaPath, newToCouncilOnly]) ?? 0
    }

    /// What verified groups based in the area need, offer and serve: each term with how many
    /// groups name it, most named first.
    public static func facets(_ db: Database, areaPath: String?) throws -> (needs: [(String, Int)], offers: [(String, Int)], beneficiaries: [(String, Int)]) {
        func facet(_ name: String) throws -> [(String, Int)] {
            try db.query("""
                SELECT f.value, count(*) FROM group_facets f JOIN groups g ON g.id = f.group_id
                WHERE f.facet = ?1 AND g.status = 'verified'
                  AND \(Areas.within("g.based_in", "?2"))
                GROUP BY f.value ORDER BY count(*) DESC, f.value
                """, [name, areaPath]) { ($0.string(0), $0.int(1)) }
        }
        return (try facet("need"), try facet("offer"), try facet("beneficiary"))
    }

    /// The gaps an area dashboard shows: needs that some group could meet (premises by space,
    /// training by teaching; see `Vocabulary.needMetBy`) but no local group offers; needs only
    /// the council meets (funding, DBS checks); beneficiaries no local group serves.
    public static func gaps(needs: [(String, Int)], offers: [(String, Int)], beneficiaries: [(String, Int)])
        -> (unmetByLocalGroups: [String], councilOnly: [String], beneficiariesNotServed: [String]) {
        let offered = Set(offers.map(\.0))
        let served = Set(beneficiaries.map(\.0))
        let peerMet = needs.map(\.0).filter { !(Vocabulary.needMetBy[$0] ?? []).isEmpty }
        return (peerMet.filter { (Vocabulary.needMetBy[$0] ?? []).isDisjoint(with: offered) },
                needs.map(\.0).filter { (Vocabulary.needMetBy[$0] ?? []).isEmpty },
                Vocabulary.values(Vocabulary.beneficiaries).filter { !served.contains($0) })
    }
}
