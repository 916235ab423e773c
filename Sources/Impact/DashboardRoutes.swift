import Areas
import Funding
import Groups
import KithCore
import Matching
import Networks
import People
import SQLiteStore
import TimeCredits

/// One area across the modules, and one person's journey through them.
enum DashboardRoutes {
    /// Each module's headline figures for a period and area.
    static func moduleFigures(_ db: Database, first: String, last: String, areaPath: String?) throws -> JSON {
        let credits = try CreditFigures.hoursAndCredits(db, from: first, to: last, areaPath: areaPath)
        let grants = try FundingFigures.awarded(db, from: first, to: last, areaPath: areaPath)
        return [
            "groups": ["mapped": .int(try GroupFigures.mapped(db, to: last, areaPath: areaPath)),
                       "new": .int(try GroupFigures.found(db, from: first, to: last, areaPath: areaPath)),
                       "new_to_council": .int(try GroupFigures.found(db, from: first, to: last, areaPath: areaPath, newToCouncilOnly: true))],
            "matching": ["active_fan_matches": .int(try MatchingFigures.activeMatches(db, scheme: "fan", to: last, areaPath: areaPath)),
                         "active_befriending_matches": .int(try MatchingFigures.activeMatches(db, scheme: "befriending", to: last, areaPath: areaPath))],
            "timecredits": ["hours_volunteered": .double(credits.hours), "credits_earned": .int(credits.credits)],
            "funding": ["grants_awarded": .int(grants.grants), "awarded_pence": .int(grants.pence), "grants_to_new_groups": .int(grants.toNewGroups)],
        ]
    }

    /// `GET /v1/areas/{id}/dashboard?from=&to=`: groups and gaps (needs no local group offers),
    /// the networks' priorities, matches, hours and credits, and grants, for one area.
    @Sendable static func area(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["from", "to"])
        let range = try MonthRange(request.query, now: context.now)
        let json = try context.read { db -> JSON in
            let area = try Areas.require(db, id: request.parameter("id"), for: context.principal)
            let (needs, offers) = try GroupFigures.needsAndOffers(db, areaPath: area.path)
            let offered = Set(offers.map(\.0))
            let networks = try NetworkDirectory.networks(db, areaPath: area.path)
            return ["area": ["id": .string(area.id), "name": .string(area.name), "kind": .string(area.kind.rawValue)],
                    "from": .string(range.from), "to": .string(range.to),
                    "figures": try moduleFigures(db, first: range.firstDay, last: range.lastDay, areaPath: area.path),
                    "needs": .array(needs.map { ["need": .string($0.0), "groups": .int($0.1)] }),
                    "offers": .array(offers.map { ["offer": .string($0.0), "groups": .int($0.1)] }),
                    // A need is a gap when no verified group in the area offers the same kind of help.
                    "gaps": JSON(needs.map(\.0).filter { !offered.contains($0) }),
                    "networks": .array(networks.map { ["id": .string($0.id), "name": .string($0.name), "priorities": JSON($0.priorities)] })]
        }
        return .json(json)
    }

    /// `GET /v1/people/{id}/journey` (admins and officers): what one person did across the
    /// modules, in date order. Only for people who agreed to their details being kept and used
    /// to follow their outcomes (`outcome_surveys` consent); erased people have no journey.
    @Sendable static func journey(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let json = try context.read { db -> JSON in
            let person = try PeopleAccess.require(db, id: request.parameter("id"), for: context.principal)
            guard person.erasedAt == nil else { throw Problem.conflict("Person \(person.id) has been erased.") }
            guard try PeopleDirectory.hasConsent(db, personId: person.id, purpose: "outcome_surveys") else {
                throw Problem(status: 403, slug: "no-consent", title: "No consent for this view",
                              detail: "\(person.id) has not agreed to their part in the programme being followed (consent outcome_surveys).")
            }
            var events = try MatchingFigures.journey(db, personId: person.id).map { (at: $0.at, event: $0.event, module: "matching", detail: $0.detail) }
            events += try CreditFigures.journey(db, personId: person.id).map { (at: $0.at, event: $0.event, module: "timecredits", detail: $0.detail) }
            events.sort { $0.at < $1.at }
            return ["person_id": .string(person.id), "roles": JSON(person.roles), "area_id": JSON(person.areaId),
                    "events": .array(events.map { ["at": .string($0.at), "event": .string($0.event), "module": .string($0.module), "detail": $0.detail] })]
        }
        return .json(json)
    }
}
