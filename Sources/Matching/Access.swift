import Areas
import KithCore
import People
import SQLiteStore

/// Who runs which part of the schemes.
///
/// - Admins and officers: everything for people in their area (unscoped: everything).
/// - Coordinators (`organisation:<provider>`): their provider's referrals, matches, volunteers and
///   sessions, and nothing of other providers.
/// - A volunteer's key (`person:<id>`): their own offers and matches (the other person shown by
///   first name), their contacts, and raising a concern.
enum MatchAccess {
    /// Staff who run the case: by provider for coordinators, by the person's area for officers.
    static func runs(_ principal: Principal?, providerId: String?, personId: String, db: Database) throws -> Bool {
        guard let principal else { return false }
        switch principal.role {
        case .admin, .officer:
            guard let scope = principal.scope else { return true }
            guard scope.kind == .area, let area = try PeopleDirectory.find(db, id: personId)?.areaId else { return false }
            return try Areas.isWithin(db, areaId: area, ancestorId: scope.id)
        case .coordinator:
            guard let provider = PeopleAccess.coordinatorProvider(principal) else { return false }
            return providerId == provider
        default:
            return false
        }
    }

    static func isVolunteer(_ principal: Principal?, of match: Match) -> Bool {
        principal?.role == .volunteer && principal?.scope == Scope(kind: .person, id: match.volunteerId)
    }

    /// A match the caller runs (staff) or volunteers in; 404 otherwise.
    static func match(_ db: Database, id: String, for principal: Principal?) throws -> (Match, staff: Bool) {
        guard let match = try MatchStore.findMatch(db, id: id) else { throw Problem.notFound("No match \(id).") }
        if try runs(principal, providerId: match.providerId, personId: match.personId, db: db) { return (match, true) }
        if isVolunteer(principal, of: match) { return (match, false) }
        throw Problem.notFound("No match \(id).")
    }

    /// A person whose record the caller may see, or whose case they run: a coordinator runs the
    /// case of anyone referred to its provider, even someone in another caseload. 404 otherwise;
    /// with `changing`, 409 for an erased person.
    static func person(_ db: Database, id: String, for principal: Principal?, changing: Bool = false) throws -> Person {
        guard let person = try PeopleDirectory.find(db, id: id) else { throw Problem.notFound("No person \(id).") }
        let runsCase = try PeopleAccess.canSeeFull(principal, person, db: db) && !PeopleAccess.isSelf(principal, person)
            || PeopleAccess.coordinatorProvider(principal).map { provider in
                try db.scalarInt("SELECT count(*) FROM referrals WHERE person_id = ? AND provider_id = ?", [id, provider]) ?? 0 > 0
            } ?? false
        guard runsCase else { throw Problem.notFound("No person \(id).") }
        if changing, person.erasedAt != nil { throw Problem.conflict("Person \(id) has been erased.") }
        return person
    }

    static func referral(_ db: Database, id: String, for principal: Principal?) throws -> Referral {
        guard let referral = try MatchStore.findReferral(db, id: id),
              try runs(principal, providerId: referral.providerId, personId: referral.personId, db: db) else {
            throw Problem.notFound("No referral \(id).")
        }
        return referral
    }

    /// Filters for lists: the provider a coordinator is limited to, and an officer's area path.
    static func listScope(_ principal: Principal?, db: Database) throws -> (provider: String?, areaPath: String?, nothing: Bool) {
        if principal?.role == .coordinator {
            guard let provider = PeopleAccess.coordinatorProvider(principal) else { return (nil, nil, true) }
            return (provider, nil, false)
        }
        guard let scope = principal?.scope else { return (nil, nil, false) }
        guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return (nil, nil, true) }
        return (nil, path, false)
    }

    static func personJSON(_ db: Database, _ id: String, staff: Bool, today: String) throws -> JSON? {
        try PeopleDirectory.find(db, id: id)?.json(staff ? .full : .matched, today: today)
    }
}
