import KithCore

/// The matching engine's routes, for the FAN buddy scheme and Befriending alike.
public struct MatchingModule: KithModule {
    public let name = "matching"
    let contactListeners: [any ContactListener]

    /// `contactListeners`: other modules that act on each logged contact.
    public init(contactListeners: [any ContactListener] = []) { self.contactListeners = contactListeners }

    static let staff: Access = .only(.admin, .officer, .coordinator)
    static let withVolunteers: Access = .only(.admin, .officer, .coordinator, .volunteer)

    public func register(_ router: inout Router) {
        router.get("/v1/schemes", Self.staff, SetupRoutes.listSchemes)
        router.patch("/v1/schemes/{scheme}", .only(.admin), SetupRoutes.updateScheme)
        router.get("/v1/schemes/{scheme}/report", .only(.admin, .officer, .coordinator, .viewer), Reports.report)
        router.get("/v1/providers", Self.staff, SetupRoutes.listProviders)
        router.post("/v1/providers", .only(.admin, .officer), SetupRoutes.createProvider)
        router.get("/v1/providers/{id}", Self.staff, SetupRoutes.showProvider)
        router.get("/v1/people/{id}/offers", Self.withVolunteers, SetupRoutes.listOffers)
        router.put("/v1/people/{id}/offers/{scheme}", Self.withVolunteers, SetupRoutes.setOffer)

        router.post("/v1/referrals", .only(.admin, .officer, .coordinator, .partner), ReferralRoutes.create)
        router.get("/v1/referrals", Self.staff, ReferralRoutes.list)
        router.get("/v1/referrals/{id}", Self.staff, ReferralRoutes.show)
        router.post("/v1/referrals/{id}/close", Self.staff, ReferralRoutes.close)
        router.get("/v1/referrals/{id}/suggestions", Self.staff, ReferralRoutes.suggestions)

        router.post("/v1/matches", Self.staff, ReferralRoutes.propose)
        router.get("/v1/matches", Self.withVolunteers, MatchRoutes.list)
        router.get("/v1/matches/missed-contact", Self.staff, MatchRoutes.missedContact)
        router.get("/v1/matches/reviews-due", Self.staff, MatchRoutes.reviewsDue)
        router.get("/v1/matches/{id}", Self.withVolunteers, MatchRoutes.show)
        router.post("/v1/matches/{id}/introduce", Self.staff, MatchRoutes.transition(.introduce))
        router.post("/v1/matches/{id}/activate", Self.staff, MatchRoutes.transition(.activate))
        router.post("/v1/matches/{id}/pause", Self.staff, MatchRoutes.transition(.pause))
        router.post("/v1/matches/{id}/resume", Self.staff, MatchRoutes.transition(.resume))
        router.post("/v1/matches/{id}/end", Self.staff, MatchRoutes.transition(.end))
        router.get("/v1/matches/{id}/contacts", Self.withVolunteers, MatchRoutes.listContacts)
        let listeners = contactListeners
        router.post("/v1/matches/{id}/contacts", Self.withVolunteers) { request, context in
            try MatchRoutes.logContact(request, context, listeners: listeners)
        }
        router.post("/v1/matches/{id}/concerns", Self.withVolunteers, MatchRoutes.raiseConcern)
        router.get("/v1/concerns", Self.staff, MatchRoutes.listConcerns)
        router.patch("/v1/concerns/{id}", Self.staff, MatchRoutes.updateConcern)

        router.get("/v1/people/{id}/outcomes", Self.staff, CareRoutes.listOutcomes)
        router.post("/v1/people/{id}/outcomes", Self.staff, CareRoutes.recordOutcome)
        router.post("/v1/people/{id}/welcome-pack", Self.staff, CareRoutes.buildWelcomePack)
        router.get("/v1/people/{id}/onward-referrals", Self.staff, CareRoutes.listOnward)
        router.post("/v1/people/{id}/onward-referrals", Self.staff, CareRoutes.referOn)
        router.get("/v1/group-sessions", Self.staff, CareRoutes.listSessions)
        router.post("/v1/group-sessions", Self.staff, CareRoutes.recordSession)
    }
}
