import KithCore

/// The community map's routes and who may call them.
public struct GroupsModule: KithModule {
    public let name = "groups"
    public init() {}

    /// Anonymous survey submissions per client address, on top of the general anonymous limits.
    static let surveyLimit = RateLimitRule(name: "survey", limit: 5, windowSeconds: 3600)
    /// Confirmation-link attempts per client address (guessing tokens is pointless, but cheap to stop).
    static let confirmLimit = RateLimitRule(name: "confirm", limit: 10, windowSeconds: 3600)
    static let staff: Access = .only(.admin, .officer)

    public func register(_ router: inout Router) {
        router.get("/v1/groups", .anyone, GroupRoutes.list)
        router.post("/v1/groups", Self.staff, GroupRoutes.create)
        router.get("/v1/groups/vocabulary", .anyone, GroupRoutes.vocabulary)
        router.get("/v1/groups/dashboard", .anyone, Reports.dashboard)
        router.get("/v1/groups/due-for-confirmation", Self.staff, IntakeRoutes.dueForConfirmation)
        router.post("/v1/groups/survey", .anyone,
                    options: RouteOptions(extraRateLimit: Self.surveyLimit, maxBodyBytes: 16 * 1024), IntakeRoutes.survey)
        router.post("/v1/groups/bulk", .only(.partner, .admin), IntakeRoutes.bulk)
        router.get("/v1/groups/export", Self.staff, IntakeRoutes.exportCSV)
        router.post("/v1/groups/import", Self.staff, IntakeRoutes.importCSV)
        router.get("/v1/groups/{id}", .anyone, GroupRoutes.show)
        router.patch("/v1/groups/{id}", .only(.admin, .officer, .group), GroupRoutes.update)
        router.post("/v1/groups/{id}/status", Self.staff, GroupRoutes.changeStatus)
        router.post("/v1/groups/{id}/merge", Self.staff, GroupRoutes.merge)
        router.put("/v1/groups/{id}/capacity", .only(.admin, .officer, .group), GroupRoutes.capacity)
        router.get("/v1/groups/{id}/matches", .anyone, GroupRoutes.matches)
        router.post("/v1/groups/{id}/confirmation-link", Self.staff, options: RouteOptions(responseHoldsSecret: true),
                    IntakeRoutes.confirmationLink)
        router.post("/v1/groups/{id}/confirm", .anyone,
                    options: RouteOptions(extraRateLimit: Self.confirmLimit, maxBodyBytes: 16 * 1024), IntakeRoutes.confirm)

        OpenReferral.register(&router)
    }
}
