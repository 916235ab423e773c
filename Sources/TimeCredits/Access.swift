import Areas
import KithCore
import People
import SQLiteStore

/// Who may act in the Time Credits scheme.
///
/// - Admins and officers: everything for organisations and people in their area (unscoped: all).
/// - An organisation's own keys: `organisation:<id>` (a venue, or a coordinator), or the `group`
///   key of the directory group the organisation is: record and approve its volunteering, run its
///   offers, confirm visits, read its own account.
/// - A volunteer's key (`person:<id>`): their account and statement, reporting their hours,
///   booking and cancelling, gifts where the scheme allows them.
enum CreditAccess {
    static func isStaff(_ principal: Principal?) -> Bool { principal?.role == .admin || principal?.role == .officer }

    /// Acts for `organisation`: its own keys, or staff whose scope reaches its area.
    static func actsFor(_ principal: Principal?, _ organisation: CreditOrganisation, db: Database) throws -> Bool {
        guard let principal else { return false }
        if isStaff(principal) { return try Areas.scopeAllows(principal, areaId: organisation.areaId, db: db) }
        if principal.role == .venue || principal.role == .coordinator, principal.scope == Scope(kind: .organisation, id: organisation.id) {
            return true
        }
        if principal.role == .group, let group = organisation.groupId { return principal.scope == Scope(kind: .group, id: group) }
        return false
    }

    /// The organisations a non-staff key acts for (empty for staff and volunteers).
    static func ownOrganisations(_ principal: Principal?, db: Database) throws -> [String] {
        guard let scope = principal?.scope else { return [] }
        switch scope.kind {
        case .organisation where principal?.role == .venue || principal?.role == .coordinator: return [scope.id]
        case .group where principal?.role == .group:
            return try db.query("SELECT id FROM credit_organisations WHERE group_id = ?", [scope.id]) { $0.string(0) }
        default: return []
        }
    }

    /// The person a volunteer key stands for.
    static func selfPerson(_ principal: Principal?) -> String? {
        guard principal?.role == .volunteer, let scope = principal?.scope, scope.kind == .person else { return nil }
        return scope.id
    }

    /// An organisation the caller acts for, or 404.
    static func organisation(_ db: Database, id: String, for principal: Principal?) throws -> CreditOrganisation {
        guard let organisation = try CreditOrganisation.find(db, id: id), try actsFor(principal, organisation, db: db) else {
            throw Problem.notFound("No credit organisation \(id) that this key acts for.")
        }
        return organisation
    }

    /// A volunteer who can earn: an existing, not erased person with the volunteer role, whom
    /// area-scoped staff may reach.
    static func volunteer(_ db: Database, id: String, for principal: Principal?, field: String = "person_id") throws -> Person {
        guard let person = try PeopleDirectory.find(db, id: id), person.erasedAt == nil else { throw Problem.invalid(field, "is not a person") }
        guard person.roles.contains("volunteer") else { throw Problem.invalid(field, "is not a volunteer") }
        if isStaff(principal), principal?.scope != nil, try !Areas.scopeAllows(principal, areaId: person.areaId, db: db) {
            throw Problem.invalid(field, "is outside the areas this key may use")
        }
        return person
    }

    /// Staff limited to an area reach the ledger entries of people and organisations there: the
    /// SQL condition on an account id column, taking the scope's area path as `?<n>` (NULL: all).
    static func accountInScope(_ column: String, pathParameter n: Int) -> String {
        """
        (?\(n) IS NULL OR \(column) IN (
            SELECT a.id FROM credit_accounts a
            LEFT JOIN people p ON p.id = a.person_id LEFT JOIN credit_organisations o ON o.id = a.organisation_id
            JOIN areas ar ON ar.id = coalesce(p.area_id, o.area_id) WHERE substr(ar.path, 1, length(?\(n))) = ?\(n)))
        """
    }

    /// The area path a scoped admin or officer is limited to (nil: unscoped); 403 for a key
    /// scoped to anything but an area.
    static func staffAreaPath(_ principal: Principal?, db: Database) throws -> String? {
        guard let scope = principal?.scope else { return nil }
        guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else {
            throw Problem.forbidden("This key's scope holds no area.")
        }
        return path
    }

    /// Scheme-wide settings and runs (expiry) are for admins with no area scope.
    static func requireUnscopedAdmin(_ principal: Principal?) throws {
        guard principal?.role == .admin, principal?.scope == nil else {
            throw Problem.forbidden("The scheme's settings apply everywhere: only an admin with no area scope changes them.")
        }
    }

    /// An account the caller may read: their own, their organisation's, or any for staff.
    static func account(_ db: Database, id: String, for principal: Principal?) throws -> Ledger.Account {
        guard let account = try Ledger.findAccount(db, id: id) else { throw Problem.notFound("No credit account \(id).") }
        let allowed: Bool
        switch account.kind {
        case "person":
            if let me = selfPerson(principal) { allowed = account.personId == me }
            else if isStaff(principal) {
                let area = try account.personId.flatMap { try PeopleDirectory.find(db, id: $0)?.areaId }
                allowed = try Areas.scopeAllows(principal, areaId: area, db: db) || principal?.scope == nil
            } else { allowed = false }
        case "organisation":
            allowed = try account.organisationId.flatMap { try CreditOrganisation.find(db, id: $0) }.map { try actsFor(principal, $0, db: db) } ?? false
        default:
            allowed = isStaff(principal) && principal?.scope == nil
        }
        guard allowed else { throw Problem.notFound("No credit account \(id).") }
        return account
    }
}
