/// The roles a key can hold (see the actors table in docs/architecture.md).
public enum Role: String, Sendable, CaseIterable, Hashable {
    /// Council administrator: everything, within its scope.
    case admin
    /// Council staff.
    case officer
    /// A Community Network's facilitator, scoped to that network.
    case facilitator
    /// Runs a befriending or buddy scheme at a partner organisation.
    case coordinator
    /// A group's own contact: edits its record, applies for grants, issues credits.
    case group
    /// A venue where Time Credits are spent.
    case venue
    /// A volunteer: own hours, balance and matches.
    case volunteer
    /// Programme board or evaluator: aggregate figures only.
    case viewer
    /// An external partner system.
    case partner
}

/// What a key is limited to: `area:<id>` (an area subtree), `network:<id>`, `organisation:<id>`,
/// `group:<id>` or `person:<id>`. Modules check the scope against the records they touch.
public struct Scope: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case area, network, organisation, group, person
    }

    public var kind: Kind
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    /// Parses `kind:id`; nil if malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])),
              !parts[1].isEmpty, parts[1].utf8.count <= 100,
              parts[1].utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        self.kind = kind
        self.id = String(parts[1])
    }

    public var description: String { "\(kind.rawValue):\(id)" }
}

/// Who is calling: the authenticated key. Anonymous callers have no principal.
public struct Principal: Sendable, Equatable {
    public var keyId: String
    public var name: String
    public var role: Role
    public var scope: Scope?

    public init(keyId: String, name: String, role: Role, scope: Scope?) {
        self.keyId = keyId
        self.name = name
        self.role = role
        self.scope = scope
    }
}
