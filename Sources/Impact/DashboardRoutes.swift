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
    /// Each module's headline figures for a period and area. Matches and hours rest on people,
    /// so viewers do not see them when they rest on 1 to 4; groups and grants are organisations.
    static func moduleFigures(_ db: Database, first: String, last: String, areaPath: String?, small: SmallCounts) throws -> JSON {
        let credits = try CreditFigures.hoursAndCredits(db, from: first, to: last, areaPath: areaPath)
        let grants = try FundingFigures.awarded(db, from: first, to: last, areaPath: areaPath)
        let fan = try MatchingFigures.activeMatches(db, scheme: "fan", to: last, areaPath: areaPath)
        let befriending = try MatchingFigures.activeMatches(db, scheme: "befriending", to: last, areaPath: areaPath)
        return [
            "groups": ["mapped": .int(try GroupFigures.mapped(db, to: last, areaPath: areaPath)),
                       "new": .int(try GroupFigures.found(db, from: first, to: last, areaPath: areaPath)),
                       "new_to_council": .int(try GroupFigures.found(db, from: first, to: last, areaPath: areaPath, newToCouncilOnly: true))],
            "matching": ["active_fan_matches": small.count(fan), "active_befriending_matches": small.count(befriending)],
            "timecredits": ["volunteers": small.count(credits.people), "hours_volunteered": small.shown(credits.people, .double(credits.hours)),
                            "credits_earned": small.shown(credits.people, .int(credits.credits))],
            "funding": ["grants_awarded": .int(grants.grants), "awarded_pence": .int(grants.pence), "grants_to_new_groups": .int(grants.toNewGroups)],
        ]
    }

    /// `GET /v1/areas/{id}/dashboard?from=&to=`: groups, what they need and offer and the gaps,
    /// the networks' priorities, matches, hours and credits, and grants, for one area.
    @Sendable static func area(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["from", "to"])
        let range = try MonthRange(request.query, now: context.now)
        let small = SmallCounts(for: context.principal)
        let json = try context.read { db -> JSON in
            let id = request.parameter("id")
            guard let area = try Areas.find(db, id: id), try Areas.scopeAllows(context.principal, areaId: area.id, db: db) else {
                throw Problem.notFound("No area \(id).")
            }
            let facets = try GroupFigures.facets(db, areaPath: area.path)
            let gaps = GroupFigures.gaps(needs: facets.needs, offers: facets.offers, beneficiaries: facets.beneficiaries)
            let networks = try NetworkDirectory.networks(db, areaPath: area.path)
            return ["area": ["id": .string(area.id), "name": .string(area.name), "kind": .string(area.kind.rawValue)],
                    "from": .string(range.from), "to": .string(range.to),
                    "figures": try moduleFigures(db, first: range.firstDay, last: range.lastDay, areaPath: area.path, small: small),
                    "needs": .array(facets.needs.map { ["need": .string($0.0), "groups": .int($0.1)] }),
                    "offers": .array(facets.offers.map { ["offer": .string($0.0), "groups": .int($0.1)] }),
                    "gaps": ["needs_no_local_group_offers": JSON(gaps.unmetByLocalGroups), "needs_only_the_council_meets": JSON(gaps.councilOnly),
                             "beneficiaries_not_served": JSON(gaps.beneficiariesNotServed)],
                    "networks": .array(networks.map { ["id": .string($0.id), "name": .string($0.name), "priorities": JSON($0.priorities)] }),
                    "suppression_threshold": small.thresholdJSON]
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
