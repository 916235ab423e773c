import KithCore
import SQLiteStore

/// The `areas` table's SQL. Only this module writes it.
enum AreaStore {
    static let columns = "id, parent_id, council_id, name, kind, code, path, created_at, updated_at, version"

    static func area(_ row: Row) -> Area {
        Area(id: row.string(0), parentId: row.optionalString(1), councilId: row.string(2), name: row.string(3),
             kind: Area.Kind(rawValue: row.string(4)) ?? .area, code: row.optionalString(5), path: row.string(6),
             createdAt: row.string(7), updatedAt: row.string(8), version: row.int(9))
    }

    static func find(_ db: Database, id: String) throws -> Area? {
        try db.queryOne("SELECT \(columns) FROM areas WHERE id = ?", [id], area)
    }

    struct Filter {
        var parentId: String?
        var withinPath: String?
        var kind: String?
        var updatedSince: Timestamp?
    }

    /// In tree order (by path), after a cursor path.
    static func list(_ db: Database, filter: Filter, afterPath: String?, limit: Int) throws -> [Area] {
        try db.query("""
            SELECT \(columns) FROM areas
            WHERE (?1 IS NULL OR path > ?1) AND (?2 IS NULL OR parent_id = ?2)
              AND (?3 IS NULL OR substr(path, 1, length(?3)) = ?3) AND (?4 IS NULL OR kind = ?4)
              AND (?5 IS NULL OR updated_at >= ?5)
            ORDER BY path LIMIT ?6
            """, [afterPath, filter.parentId, filter.withinPath, filter.kind, filter.updatedSince?.rfc3339, limit], area)
    }

    static func insert(_ tx: Transaction, _ input: AreaInput, parent: Area?) throws -> Area {
        let path = (parent?.path ?? "/") + input.id + "/"
        try tx.db.run("""
            INSERT INTO areas(id, parent_id, council_id, name, kind, code, path, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [input.id, input.parentId, parent?.councilId ?? input.id, input.name, input.kind.rawValue, input.code,
                  path, tx.now.rfc3339, tx.now.rfc3339])
        try tx.audit("create", "area", input.id, changes: ["name", "kind", "parent_id", "code"])
        guard let area = try find(tx.db, id: input.id) else { throw StoreError("area \(input.id) vanished after insert") }
        return area
    }

    /// Renames, recodes or moves an area; a move rewrites the paths of its whole subtree.
    static func update(_ tx: Transaction, current: Area, name: String, code: String?, parent: Area?) throws -> Area {
        var changes: [String] = []
        if name != current.name { changes.append("name") }
        if code != current.code { changes.append("code") }
        let newPath = parent.map { $0.path + current.id + "/" } ?? current.path
        if newPath != current.path { changes.append("parent_id") }
        guard !changes.isEmpty else { return current }
        try tx.db.run("""
            UPDATE areas SET name = ?, code = ?, parent_id = ?, updated_at = ?, version = version + 1
            WHERE id = ? AND version = ?
            """, [name, code, parent?.id ?? current.parentId, tx.now.rfc3339, current.id, current.version])
        if newPath != current.path {
            // Every descendant keeps its place under the moved area.
            let descendants = try tx.db.query("SELECT id FROM areas WHERE substr(path, 1, length(?1)) = ?1 AND id <> ?2",
                                              [current.path, current.id]) { $0.string(0) }
            try tx.db.run("""
                UPDATE areas SET path = ?1 || substr(path, length(?2) + 1), updated_at = ?3,
                                 version = version + (id <> ?4)
                WHERE substr(path, 1, length(?2)) = ?2
                """, [newPath, current.path, tx.now.rfc3339, current.id])
            for id in descendants { try tx.audit("update", "area", id, changes: ["ancestors"]) }
        }
        try tx.audit("update", "area", current.id, changes: changes)
        return try find(tx.db, id: current.id) ?? current
    }

    static func childCount(_ db: Database, id: String) throws -> Int {
        try db.scalarInt("SELECT count(*) FROM areas WHERE parent_id = ?", [id]) ?? 0
    }

    static func delete(_ tx: Transaction, id: String) throws {
        try tx.db.run("DELETE FROM areas WHERE id = ?", [id])
        try tx.audit("delete", "area", id)
    }
}
