import KithCore

/// Funding: small-grant rounds from application to award, payment, monitoring and open data.
public struct FundingModule: KithModule {
    public let name = "funding"
    public init() {}

    static let staff: Access = .only(.admin, .officer)
    /// Applicant groups, officers, and the round's assessors (checked per application).
    static let involved: Access = .only(.admin, .officer, .group, .facilitator, .viewer)
    /// Money moves: each takes an Idempotency-Key.
    static let moneyWrite = RouteOptions(requiresIdempotencyKey: true)

    public func register(_ router: inout Router) {
        router.get("/v1/funders", .anyone, SetupRoutes.listFunders)
        router.post("/v1/funders", Self.staff, SetupRoutes.createFunder)
        router.get("/v1/funders/{id}", .anyone, SetupRoutes.showFunder)
        router.get("/v1/programmes", .anyone, SetupRoutes.listProgrammes)
        router.post("/v1/programmes", Self.staff, SetupRoutes.createProgramme)
        router.get("/v1/programmes/{id}", .anyone, SetupRoutes.showProgramme)
        router.get("/v1/programmes/{id}/report", .only(.admin, .officer, .viewer), FundingReports.programme)
        router.get("/v1/rounds", .anyone, SetupRoutes.listRounds)
        router.post("/v1/rounds", Self.staff, SetupRoutes.createRound)
        router.get("/v1/rounds/{id}", .anyone, SetupRoutes.showRound)
        router.patch("/v1/rounds/{id}", Self.staff, SetupRoutes.updateRound)
        router.get("/v1/rounds/{id}/assessors", Self.staff, SetupRoutes.listAssessors)
        router.post("/v1/rounds/{id}/assessors", Self.staff, SetupRoutes.addAssessor)
        router.get("/v1/rounds/{id}/panel", Self.staff, AssessmentRoutes.panel)
        router.get("/v1/rounds/{id}/report", .only(.admin, .officer, .viewer), FundingReports.round)

        router.post("/v1/applications", .only(.group), ApplicationRoutes.create)
        router.get("/v1/applications", Self.involved, ApplicationRoutes.list)
        router.get("/v1/applications/{id}", Self.involved, ApplicationRoutes.show)
        router.patch("/v1/applications/{id}", .only(.group), ApplicationRoutes.update)
        router.post("/v1/applications/{id}/submit", .only(.group), ApplicationRoutes.submit)
        router.post("/v1/applications/{id}/withdraw", .only(.group), ApplicationRoutes.withdraw)
        router.post("/v1/applications/{id}/transitions", Self.staff, ApplicationRoutes.transition)
        router.get("/v1/applications/{id}/events", Self.involved, ApplicationRoutes.events)
        router.post("/v1/applications/{id}/endorsements", .only(.admin, .officer, .facilitator), ApplicationRoutes.endorse)
        router.post("/v1/applications/{id}/conflicts", Self.involved, AssessmentRoutes.declareConflict)
        router.put("/v1/applications/{id}/scores", Self.involved, AssessmentRoutes.score)
        router.get("/v1/applications/{id}/scores", Self.involved, AssessmentRoutes.scores)
        router.post("/v1/applications/{id}/award", Self.staff, options: Self.moneyWrite, GrantRoutes.award)
        router.post("/v1/applications/{id}/support", Self.staff, SupportRoutes.recordSupport)
        router.get("/v1/applications/{id}/support", .only(.admin, .officer, .group), SupportRoutes.listSupport)

        router.get("/v1/grants", .only(.admin, .officer, .group), GrantRoutes.list)
        router.get("/v1/grants/360giving", .anyone, OpenData.export)
        router.get("/v1/grants/{id}", .only(.admin, .officer, .group), GrantRoutes.show)
        router.post("/v1/grants/{id}/payments", Self.staff, options: Self.moneyWrite, GrantRoutes.pay)
        router.post("/v1/grants/{id}/variations", Self.staff, options: Self.moneyWrite, GrantRoutes.vary)
        router.post("/v1/grants/{id}/clawbacks", Self.staff, options: Self.moneyWrite, GrantRoutes.clawBack)
        router.post("/v1/grants/{id}/close", Self.staff, GrantRoutes.close)
        router.put("/v1/grant-reports/{id}", .only(.admin, .officer, .group), GrantRoutes.submitReport)
        router.get("/v1/grant-reports/overdue", Self.staff, GrantRoutes.overdue)

        router.get("/v1/other-funders", .anyone, SupportRoutes.listFunders)
        router.post("/v1/other-funders", Self.staff, SupportRoutes.createFunder)
        router.get("/v1/other-funders/{id}", .anyone, SupportRoutes.showFunder)
        router.patch("/v1/other-funders/{id}", Self.staff, SupportRoutes.updateFunder)
        router.get("/v1/funding/unsupported-declines", Self.staff, SupportRoutes.unsupported)
    }
}
