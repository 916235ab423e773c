import CSQLite

// Extended result codes are C macros built from expressions, which Swift does not import.
let SQLITE_CONSTRAINT_CHECK: Int32 = SQLITE_CONSTRAINT | (1 << 8)
let SQLITE_CONSTRAINT_FOREIGNKEY: Int32 = SQLITE_CONSTRAINT | (3 << 8)
let SQLITE_CONSTRAINT_NOTNULL: Int32 = SQLITE_CONSTRAINT | (5 << 8)
let SQLITE_CONSTRAINT_PRIMARYKEY: Int32 = SQLITE_CONSTRAINT | (6 << 8)
let SQLITE_CONSTRAINT_UNIQUE: Int32 = SQLITE_CONSTRAINT | (8 << 8)
let SQLITE_CONSTRAINT_DATATYPE: Int32 = SQLITE_CONSTRAINT | (12 << 8)

/// An error from SQLite that keeps its result code, so callers above can tell a unique-constraint
/// failure (409) from a busy database (503) from a bug (500).
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (e.g. `SQLITE_CONSTRAINT_UNIQUE`).
    public var extendedCode: Int32
    public var message: String
    public var sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (e.g. `SQLITE_CONSTRAINT`).
    public var code: Int32 { extendedCode & 0xFF }

    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isConstraint: Bool { code == SQLITE_CONSTRAINT }
    public var isUniqueViolation: Bool {
        extendedCode == SQLITE_CONSTRAINT_UNIQUE || extendedCode == SQLITE_CONSTRAINT_PRIMARYKEY
    }
    public var isForeignKeyViolation: Bool { extendedCode == SQLITE_CONSTRAINT_FOREIGNKEY }
    public var isCheckViolation: Bool {
        extendedCode == SQLITE_CONSTRAINT_CHECK || extendedCode == SQLITE_CONSTRAINT_NOTNULL
            || extendedCode == SQLITE_CONSTRAINT_DATATYPE
    }

    public var description: String {
        "SQLite error \(extendedCode): \(message)" + (sql.map { " (in: \($0.prefix(200)))" } ?? "")
    }
}

/// A store-level failure that is not a SQLite result code (bad migration set, edited migration, …).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
