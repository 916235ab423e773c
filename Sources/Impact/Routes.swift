import KithCore

/// Impact across the modules: people engaged against the target, measures, resident surveys, an
/// area dashboard, a person's journey and the progress report.
public struct ImpactModule: KithModule {
    public let name = "impact"
    let sources: [any EngagementSource]

    /// `sources`: the modules that know who took part.
    public init(sources: [any EngagementSource]) { self.sources = sources }

    static let reading: Access = .only(.admin, .officer, .viewer)
    static let staff: Access = .only(.admin, .officer)

    public func register(_ router: inout Router) {
        router.get("/v1/impact", Self.reading, ImpactRoutes.show(sources: sources))
        router.get("/v1/impact/report", Self.reading, ImpactRoutes.report(sources: sources))
        router.get("/v1/impact/settings", Self.reading, ImpactRoutes.showSettings)
        router.patch("/v1/impact/settings", .only(.admin), ImpactRoutes.updateSettings)
        router.get("/v1/measures", Self.reading, MeasureRoutes.list)
        router.post("/v1/measures", Self.staff, MeasureRoutes.create)
        router.get("/v1/measures/{id}", Self.reading, MeasureRoutes.show(sources: sources))
        router.patch("/v1/measures/{id}", Self.staff, MeasureRoutes.update)
        router.put("/v1/measures/{id}/values/{period}", Self.staff, MeasureRoutes.setValue)
        router.get("/v1/surveys", Self.reading, SurveyRoutes.list)
        router.post("/v1/surveys", Self.staff, SurveyRoutes.record)
        router.get("/v1/surveys/changes", Self.reading, SurveyRoutes.showChanges)
        router.get("/v1/areas/{id}/dashboard", Self.reading, DashboardRoutes.area)
        router.get("/v1/people/{id}/journey", Self.staff, DashboardRoutes.journey)
    }
}
