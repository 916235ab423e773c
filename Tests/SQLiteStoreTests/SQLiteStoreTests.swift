import Foundation
import Testing
@testable import SQLiteStore

/// A fresh database file in its own temporary folder, removed afterwards.
final class TemporaryDatabase {
    let directory: String
    var path: String { directory + "/test.sqlite" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/kith-store-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw StoreError("mkdtemp failed") }
        directory = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

let now = "2026-11-26T09:00:00.000Z"

@Suite struct DatabaseTests {
    @Test func opensInWALModeWithForeignKeys() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        #expect(try db.queryOne("PRAGMA journal_mode") { $0.string(0) } == "wal")
        #expect(try db.scalarInt("PRAGMA foreign_keys") == 1)
    }

    @Test func bindsAndReadsEveryType() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try db.execute("CREATE TABLE t (a TEXT, b INTEGER, c REAL, d BLOB, e TEXT) STRICT")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ["", 42, 2.5, [UInt8]([0, 1, 255]), SQLValue.null])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ["Leytonstone – café ☕", Int64.max, -0.125, [UInt8](), "x"])
        let rows = try db.query("SELECT a, b, c, d, e FROM t ORDER BY rowid") { row in
            (row.string(0), row.int(1), row.double(2), row.blob(3), row.optionalString(4), row.isNull(0))
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == "" && rows[0].5 == false, "an empty string is stored as text, not NULL")
        #expect(rows[0].1 == 42 && rows[0].2 == 2.5 && rows[0].3 == [0, 1, 255] && rows[0].4 == nil)
        #expect(rows[1].0 == "Leytonstone – café ☕" && rows[1].1 == Int(Int64.max) && rows[1].4 == "x")
    }

    @Test func namedColumnsAndParameterCountChecked() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        #expect(try db.queryOne("SELECT 7 AS seven, 'x' AS ex") { ($0.int("seven"), $0.string("ex")) }! == (7, "x"))
        #expect(throws: StoreError.self) { try db.run("SELECT ?, ?", [1]) }
    }

    @Test func statementCacheIsBounded() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        for i in 0..<1000 {
            #expect(try db.scalarInt("SELECT \(i) + ?", [1]) == i + 1)
            _ = try db.scalarInt("SELECT 42")   // stays hot, so stays cached
        }
        #expect(db.cachedStatementCount <= 256)
        #expect(try db.scalarInt("SELECT 42") == 42)
    }

    @Test func transactionRollsBackOnError() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try db.execute("CREATE TABLE t (x INTEGER) STRICT")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
    }

    @Test func nestedTransactionIsASavepoint() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try db.execute("CREATE TABLE t (x INTEGER) STRICT")
        struct Boom: Error {}
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            _ = try? db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
            try db.run("INSERT INTO t VALUES (3)")
        }
        #expect(try db.query("SELECT x FROM t ORDER BY x") { $0.int(0) } == [1, 3])
    }

    @Test func constraintFailuresKeepTheirCodes() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try db.execute("""
            CREATE TABLE parent (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent(id), n INTEGER CHECK (n > 0)) STRICT;
            """)
        try db.run("INSERT INTO parent VALUES ('p1', 'Leyton')")
        func failure(_ body: () throws -> Void) -> SQLiteError? {
            do { try body(); return nil } catch let error as SQLiteError { return error } catch { return nil }
        }
        let unique = failure { try db.run("INSERT INTO parent VALUES ('p2', 'Leyton')") }
        #expect(unique?.isUniqueViolation == true)
        #expect(unique?.message.contains("parent.name") == true)
        let primaryKey = failure { try db.run("INSERT INTO parent VALUES ('p1', 'Other')") }
        #expect(primaryKey?.isUniqueViolation == true)
        let foreignKey = failure { try db.run("INSERT INTO child(parent_id, n) VALUES ('nope', 1)") }
        #expect(foreignKey?.isForeignKeyViolation == true)
        let check = failure { try db.run("INSERT INTO child(parent_id, n) VALUES ('p1', 0)") }
        #expect(check?.isCheckViolation == true)
        let datatype = failure { try db.run("INSERT INTO child(parent_id, n) VALUES ('p1', 'many')") }
        #expect(datatype?.isCheckViolation == true)
        let notNull = failure { try db.run("INSERT INTO parent VALUES ('p3', NULL)") }
        #expect(notNull?.isCheckViolation == true)
        #expect(try db.check().isEmpty)
    }

    @Test func backupCopiesALiveDatabase() throws {
        let temp = try TemporaryDatabase()
        let pool = try DatabasePool(path: temp.path)
        try pool.write { db in
            try db.execute("CREATE TABLE t (x INTEGER) STRICT")
            for i in 0..<1000 { try db.run("INSERT INTO t VALUES (?)", [i]) }
        }
        let copy = temp.directory + "/copy.sqlite"
        try pool.read { db in try db.backup(to: copy) }
        let restored = try Database(path: copy)
        #expect(try restored.scalarInt("SELECT sum(x) FROM t") == 499_500)
        #expect(try restored.check().isEmpty)
    }
}

@Suite struct PoolTests {
    @Test func readersSeeCommittedWritesAndCannotWrite() throws {
        let temp = try TemporaryDatabase()
        let pool = try DatabasePool(path: temp.path)
        try pool.write { db in try db.execute("CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1);") }
        #expect(try pool.read { db in try db.scalarInt("SELECT count(*) FROM t") } == 1)
        #expect(throws: SQLiteError.self) { try pool.read { db in try db.run("INSERT INTO t VALUES (2)") } }
    }

    @Test func concurrentWritersAreSerialisedAndNothingIsLost() throws {
        let temp = try TemporaryDatabase()
        let pool = try DatabasePool(path: temp.path)
        try pool.write { db in try db.execute("CREATE TABLE counter (n INTEGER NOT NULL) STRICT; INSERT INTO counter VALUES (0);") }
        DispatchQueue.concurrentPerform(iterations: 200) { _ in
            // Read-modify-write: lost updates would show if writes were not serialised.
            try? pool.write { db in
                let n = try db.scalarInt("SELECT n FROM counter") ?? 0
                try db.run("UPDATE counter SET n = ?", [n + 1])
            }
            _ = try? pool.read { db in try db.scalarInt("SELECT n FROM counter") }
        }
        #expect(try pool.read { db in try db.scalarInt("SELECT n FROM counter") } == 200)
    }

    @Test func closeCheckpointsTheWAL() throws {
        let temp = try TemporaryDatabase()
        let pool = try DatabasePool(path: temp.path)
        try pool.write { db in try db.execute("CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1);") }
        pool.close()
        let attributes = try? FileManager.default.attributesOfItem(atPath: temp.path + "-wal")
        #expect((attributes?[.size] as? Int ?? 0) == 0, "the WAL is truncated into the main file on close")
    }
}

@Suite struct MigratorTests {
    let files: [(name: String, sql: String)] = [
        (name: "0001_core.sql", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY) STRICT;"),
        (name: "0002_more.sql", sql: "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id)) STRICT;"),
    ]

    @Test func migratesFromEmptyInOrderAndRecordsChecksums() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        let migrator = try Migrator(files: files.reversed())
        #expect(try migrator.migrate(db, now: now) == ["0001_core.sql", "0002_more.sql"])
        let applied = try migrator.applied(in: db)
        #expect(applied.map(\.version) == [1, 2])
        #expect(applied[0].checksum == Migration.sha256Hex(Array(files[0].sql.utf8)))
        #expect(applied[0].checksum.count == 64)
        #expect(try db.scalarInt("PRAGMA user_version") == 2)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')") == 2)
    }

    @Test func rerunIsANoOpAndLaterFilesApplyLater() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try Migrator(files: [files[0]]).migrate(db, now: now)
        #expect(try Migrator(files: [files[0]]).migrate(db, now: now).isEmpty)
        #expect(try Migrator(files: files).migrate(db, now: now) == ["0002_more.sql"])
        #expect(try Migrator(files: files).migrate(db, now: now).isEmpty)
    }

    @Test func refusesAnEditedMigration() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try Migrator(files: files).migrate(db, now: now)
        let edited = [files[0], (name: "0002_more.sql", sql: files[1].sql + "\nCREATE INDEX b_a ON b(a_id);")]
        do {
            try Migrator(files: edited).migrate(db, now: now)
            Issue.record("an edited migration must be refused")
        } catch let error as StoreError {
            #expect(error.message.contains("0002_more.sql was edited"))
        }
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'b_a'") == 0)
    }

    @Test func refusesADatabaseFromANewerKith() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try Migrator(files: files).migrate(db, now: now)
        #expect(throws: StoreError.self) { try Migrator(files: [files[0]]).migrate(db, now: now) }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        let broken = files + [(name: "0003_broken.sql", sql: "CREATE TABLE c (id INTEGER) STRICT; INSERT INTO nowhere VALUES (1);")]
        #expect(throws: StoreError.self) { try Migrator(files: broken).migrate(db, now: now) }
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'c'") == 0)
        #expect(try Migrator(files: files).applied(in: db).map(\.version) == [1, 2])
    }

    @Test func rejectsBadFileSets() throws {
        #expect(throws: StoreError.self) { try Migrator(files: [(name: "core.sql", sql: "")]) }
        #expect(throws: StoreError.self) { try Migrator(files: [(name: "0001_a.sql", sql: ""), (name: "0001_b.sql", sql: "")]) }
    }

    @Test func tableRebuildRunsWithForeignKeysOffAndChecksThem() throws {
        let temp = try TemporaryDatabase()
        let db = try Database(path: temp.path)
        try Migrator(files: files).migrate(db, now: now)
        try db.run("INSERT INTO a VALUES (1)")
        try db.run("INSERT INTO b VALUES (1, 1)")
        // The 12-step rebuild: new table, copy, drop, rename; only possible with foreign keys off.
        let rebuild = (name: "0003_rebuild_a.sql", sql: """
            -- kith: foreign_keys off
            CREATE TABLE a_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '') STRICT;
            INSERT INTO a_new(id) SELECT id FROM a;
            DROP TABLE a;
            ALTER TABLE a_new RENAME TO a;
            """)
        try Migrator(files: files + [rebuild]).migrate(db, now: now)
        #expect(try db.scalarInt("SELECT count(*) FROM b JOIN a ON a.id = b.a_id") == 1)
        #expect(try db.scalarInt("PRAGMA foreign_keys") == 1)

        let breaking = (name: "0004_drop_a.sql", sql: "-- kith: foreign_keys off\nDELETE FROM a;")
        #expect(throws: StoreError.self) { try Migrator(files: files + [rebuild, breaking]).migrate(db, now: now) }
        #expect(try db.scalarInt("SELECT count(*) FROM a") == 1, "a migration leaving dangling references is rolled back")
    }
}
