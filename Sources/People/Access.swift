import Areas
import KithCore
import SQLiteStore

/// Who sees a person's record, and what other modules may use.
///
/// - Admins and officers: people whose area is inside their scope (people without an area: only
///   unscoped keys).
/// - Coordinators (`organisation:<provider>`): the people in their provider's caseload.
/// - A volunteer's own key (`person:<id>`): their own record.
/// - Partners, viewers and the public: never a person's record.
public enum PeopleAccess {
    public static func canSeeFull(_ principal: Principal?, _ person: Person, db: Database) throws -> Bool {
        guard let principal else { return false }
        switch principal.role {
        case .admin, .officer:
            guard let scope = principal.scope else { return true }
            guard scope.kind == .area, let area = person.areaId else { return false }
            return try Areas.isWithin(db, areaId: area, ancestorId: scope.id)
        case .coordinator:
            guard let scope = principal.scope, scope.kind == .organisation else { return false }
            return person.providerId == scope.id
        case .volunteer:
            return principal.scope == Scope(kind: .person, id: person.id)
        default:
            return false
        }
    }

    public static func isSelf(_ principal: Principal?, _ person: Person) -> Bool {
        principal?.role == .volunteer && principal?.scope == Scope(kind: .person, id: person.id)
    }

    /// The view of a record the caller may see in full: their own, or the staff's.
    public static func view(_ principal: Principal?, _ person: Person) -> Person.View {
        isSelf(principal, person) ? .own : .full
    }

    /// As `require`, for changes: an erased person takes no new personal data (409).
    public static func requireActive(_ db: Database, id: String, for principal: Principal?) throws -> Person {
        let person = try require(db, id: id, for: principal)
        guard person.erasedAt == nil else { throw Problem.conflict("Person \(person.id) has been erased.") }
        return person
    }

    /// The coordinator's provider, when the caller is a coordinator.
    public static func coordinatorProvider(_ principal: Principal?) -> String? {
        guard principal?.role == .coordinator, let scope = principal?.scope, scope.kind == .organisation else { return nil }
        return scope.id
    }

    /// Loads a person the caller may see in full, or 404 (a 403 would say the person exists).
    public static func require(_ db: Database, id: String, for principal: Principal?) throws -> Person {
        guard let person = try PeopleStore.find(db, id: id), try canSeeFull(principal, person, db: db) else {
            throw Problem.notFound("No person \(id).")
        }
        return person
    }
}

/// What other modules read of people.
public enum PeopleDirectory {
    /// SQL for "`column` names a person living in the area subtree whose path is bound at
    /// `parameter` (e.g. `?3`), or that parameter is null": the area filter of people-based lists.
    public static func livingWithin(_ column: String, _ parameter: String) -> String {
        "(\(parameter) IS NULL OR \(column) IN (SELECT p.id FROM people p JOIN areas a ON a.id = p.area_id WHERE substr(a.path, 1, length(\(parameter))) = \(parameter)))"
    }

    public static func find(_ db: Database, id: String) throws -> Person? { try PeopleStore.find(db, id: id) }

    public static func checks(_ db: Database, personId: String) throws -> [Check] { try PeopleStore.checks(db, personId: personId) }

    /// Where each of these people lives (nil: no area recorded), in one query.
    public static func areas(_ db: Database, ids: [String]) throws -> [String: String?] {
        var areas: [String: String?] = [:]
        try db.forEach("SELECT id, area_id FROM people WHERE id IN (SELECT value FROM json_each(?))", [JSON(ids).encodedString()]) {
            areas[$0.string(0)] = .some($0.optionalString(1))
        }
        return areas
    }

    /// Whether the person's latest answer for `purpose` is consent given.
    public static func hasConsent(_ db: Database, personId: String, purpose: String) throws -> Bool {
        try db.queryOne("SELECT given FROM consents WHERE person_id = ? AND purpose = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1",
                        [personId, purpose]) { $0.bool(0) } ?? false
    }

    /// The requirements a volunteer's checks do not meet on `today`: empty when cleared. A
    /// reference requirement means two references.
    public static func missingChecks(_ db: Database, personId: String, required: [(kind: String, detail: String)], today: String) throws
        -> [String] {
        let valid = try PeopleStore.checks(db, personId: personId).filter { $0.isValid(on: today) }
        var missing: [String] = []
        for need in required {
            if need.kind == "reference" {
                let count = valid.filter { $0.kind == "reference" }.count
                if count < 2 { missing.append(count == 0 ? "two references" : "a second reference") }
            } else if !valid.contains(where: { $0.meets(kind: need.kind, detail: need.detail) }) {
                missing.append("\(need.kind): \(need.detail)")
            }
        }
        return missing
    }

    /// Creates a person (used by referrals that bring someone new).
    public static func create(_ tx: Transaction, _ draft: PersonDraft, principal: Principal?) throws -> Person {
        try PeopleRoutes.insert(tx, draft, principal: principal)
    }

    /// Adds a role to a person (e.g. `befriendee` when referred) and, when they are in no
    /// caseload yet, puts them in `provider`'s.
    public static func addRole(_ tx: Transaction, personId: String, role: String, provider: String? = nil) throws {
        guard var person = try PeopleStore.find(tx.db, id: personId) else { return }
        let before = person
        var changes: [String] = []
        if !person.roles.contains(role) {
            person.roles.append(role)
            person.roles.sort()
            changes.append("roles")
        }
        if person.providerId == nil, let provider {
            person.providerId = provider
            changes.append("provider_id")
        }
        guard !changes.isEmpty else { return }
        person.updatedAt = tx.now.rfc3339
        person.version = before.version + 1
        try PeopleStore.save(tx, person, isNew: false)
        try tx.audit("update", "person", personId, changes: changes)
    }
}

/// A module that holds personal data about people: it answers subject access requests and
/// erases what it holds when a person is erased. Modules are handed to `PeopleModule` by the app.
public protocol PersonalDataHolder: Sendable {
    /// Sections of the subject access export: (name, JSON).
    func export(_ db: Database, personId: String, now: Timestamp) throws -> [(String, JSON)]
    /// A reason erasure must wait (e.g. an open safeguarding concern), or nil.
    func erasureBlocked(_ db: Database, personId: String) throws -> String?
    /// Removes personal content, keeping anonymous counts; returns what it erased.
    func erase(_ tx: Transaction, personId: String) throws -> [String]
}
