import Areas
import Groups
import KithCore
import SQLiteStore

/// Who may do what in Funding.
///
/// - Admins and officers run funders, programmes, rounds, assessors, decisions and payments; a key
///   limited to an area sees the applications of groups based there.
/// - A group's key (`group:<id>`) writes, submits and withdraws its own applications, sees those
///   it is a partner in, and submits its grants' monitoring reports. Drafts are its own business:
///   nobody else sees them, officers included.
/// - A round's assessors (keys named with `POST /v1/rounds/{id}/assessors`) read the round's
///   submitted applications and score those they are not conflicted on.
/// - A network's facilitators endorse applications to rounds that ask for that network's view.
enum FundingAccess {
    static func isStaff(_ principal: Principal?) -> Bool { principal?.role == .admin || principal?.role == .officer }

    static func ownGroup(_ principal: Principal?) -> String? {
        guard principal?.role == .group, let scope = principal?.scope, scope.kind == .group else { return nil }
        return scope.id
    }

    /// How the caller relates to an application: nil when they may not see it at all.
    enum Relation { case staff, applicant, partner, assessor }

    static func relation(_ db: Database, _ application: Application, principal: Principal?) throws -> Relation? {
        if application.status == "draft" { return ownGroup(principal) == application.groupId ? .applicant : nil }
        if isStaff(principal) {
            let basedIn = try Directory.find(db, id: application.groupId)?.basedIn
            if try Areas.scopeAllows(principal, areaId: basedIn ?? application.areaId, db: db) { return .staff }
        }
        if let own = ownGroup(principal) {
            if own == application.groupId { return .applicant }
            if application.partnerGroupIds.contains(own) && application.status != "draft" { return .partner }
        }
        if application.status != "draft", try Conflicts.assessor(db, roundId: application.roundId, keyId: principal?.keyId) != nil {
            return .assessor
        }
        return nil
    }

    /// An application the caller may see, or 404 (drafts are invisible but to their group).
    static func application(_ db: Database, id: String, principal: Principal?) throws -> (Application, Relation) {
        guard let application = try Application.find(db, id: id), let relation = try relation(db, application, principal: principal) else {
            throw Problem.notFound("No application \(id).")
        }
        return (application, relation)
    }

    /// The area path an area-scoped admin or officer is limited to (nil: unscoped); 403 for
    /// another kind of scope.
    static func staffAreaPath(_ principal: Principal?, db: Database) throws -> String? {
        guard let scope = principal?.scope else { return nil }
        guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { throw Problem.forbidden("This key's scope holds no area.") }
        return path
    }

    /// SQL: the group in `column` is based inside the area path `?<n>` (NULL: anywhere).
    static func groupInScope(_ column: String, pathParameter n: Int) -> String {
        """
        (?\(n) IS NULL OR \(column) IN (SELECT gr.id FROM groups gr JOIN areas ar ON ar.id = gr.based_in WHERE substr(ar.path, 1, length(?\(n))) = ?\(n)))
        """
    }

    static func requireStaff(_ relation: Relation, _ what: String) throws {
        guard relation == .staff else { throw Problem.forbidden("Officers \(what).") }
    }
}
