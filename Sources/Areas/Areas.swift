import KithCore
import SQLiteStore

/// What other modules use: look up areas, expand an area to its subtree, and check a key's
/// `area:` scope against a record's area.
public enum Areas {
    public static func find(_ db: Database, id: String) throws -> Area? {
        try AreaStore.find(db, id: id)
    }

    /// The path prefix of an area's subtree, for `substr(path, 1, length(?)) = ?` filters;
    /// nil if there is no such area.
    public static func subtreePath(_ db: Database, id: String) throws -> String? {
        try db.queryOne("SELECT path FROM areas WHERE id = ?", [id]) { $0.string(0) }
    }

    /// The ids of an area and all its descendants.
    public static func subtreeIDs(_ db: Database, id: String) throws -> [String] {
        guard let path = try subtreePath(db, id: id) else { return [] }
        return try db.query("SELECT id FROM areas WHERE substr(path, 1, length(?1)) = ?1 ORDER BY path", [path]) { $0.string(0) }
    }

    /// True when `areaId` is `ancestorId` or inside it.
    public static func isWithin(_ db: Database, areaId: String, ancestorId: String) throws -> Bool {
        try db.scalarInt("""
            SELECT count(*) FROM areas a, areas s
            WHERE a.id = ?1 AND s.id = ?2 AND substr(a.path, 1, length(s.path)) = s.path
            """, [areaId, ancestorId]) == 1
    }

    /// Whether a caller may touch a record in `areaId`: unscoped keys may; `area:` scoped keys only
    /// inside their subtree; keys scoped to something else (a network, a group) are checked by the
    /// module that owns that thing, so here they may not.
    public static func scopeAllows(_ principal: Principal?, areaId: String?, db: Database) throws -> Bool {
        guard let scope = principal?.scope else { return true }
        guard scope.kind == .area, let areaId else { return false }
        return try isWithin(db, areaId: areaId, ancestorId: scope.id)
    }

    /// SQL for "`column` names an area in the subtree whose path is bound at `parameter` (e.g.
    /// `?3`), or that parameter is null (no area filter)": the one spelling of an area filter.
    public static func within(_ column: String, _ parameter: String) -> String {
        "(\(parameter) IS NULL OR \(column) IN (SELECT id FROM areas WHERE substr(path, 1, length(\(parameter))) = \(parameter)))"
    }

    /// Throws 422 naming `field` unless the area exists and the caller's scope reaches it.
    public static func require(_ db: Database, id: String, for principal: Principal?, field: String = "area") throws -> Area {
        guard let area = try find(db, id: id), try scopeAllows(principal, areaId: area.id, db: db) else {
            throw Problem.invalid(field, "is not an area you can use: \(id)")
        }
        return area
    }
}
