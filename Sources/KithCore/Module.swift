import SQLiteStore

/// A service module: owns its tables (its range of migrations) and its routes. `KithApp` lists
/// the modules; adding one changes no other.
public protocol KithModule: Sendable {
    /// A short name for logs and docs (`groups`, `networks`, …).
    var name: String { get }
    /// Adds the module's routes, each with its access rule.
    func register(_ router: inout Router)
    /// The module's own consistency checks for `kith check` (e.g. the credits ledger): one line
    /// per problem found, none when all is well.
    func check(_ db: Database) throws -> [String]
}

extension KithModule {
    public func check(_ db: Database) throws -> [String] { [] }
}
