import KithCore

/// Community Networks' routes and who may call them. Handlers check the finer rules: a
/// facilitator acts only for its own network (and sub-networks), members read members-only
/// content, the public sees networks, public priorities, meetings and events.
public struct NetworksModule: KithModule {
    public let name = "networks"
    public init() {}

    static let managers: Access = .only(.admin, .officer, .facilitator)
    static let participants: Access = .only(.admin, .officer, .facilitator, .group)

    public func register(_ router: inout Router) {
        router.get("/v1/networks", .anyone, NetworkRoutes.list)
        router.post("/v1/networks", Self.managers, NetworkRoutes.create)
        router.get("/v1/networks/{id}", .anyone, NetworkRoutes.show)
        router.patch("/v1/networks/{id}", Self.managers, NetworkRoutes.update)
        router.put("/v1/networks/{id}/facilitators", .only(.admin, .officer), NetworkRoutes.setFacilitators)
        router.get("/v1/networks/{id}/report", .only(.admin, .officer, .facilitator, .viewer), Report.report)

        router.get("/v1/networks/{id}/members", .anyone, MemberRoutes.list)
        router.post("/v1/networks/{id}/members", Self.managers, MemberRoutes.add)
        router.post("/v1/networks/{id}/join", .only(.group), MemberRoutes.join)
        router.get("/v1/networks/{id}/members/{member}", .anyone, MemberRoutes.show)
        router.patch("/v1/networks/{id}/members/{member}", Self.managers, MemberRoutes.update)
        router.post("/v1/networks/{id}/members/{member}/approve", Self.managers, MemberRoutes.transition(.approve))
        router.post("/v1/networks/{id}/members/{member}/accept", .only(.group), MemberRoutes.transition(.accept))
        router.post("/v1/networks/{id}/members/{member}/decline", Self.participants, MemberRoutes.transition(.decline))
        router.post("/v1/networks/{id}/members/{member}/leave", Self.participants, MemberRoutes.transition(.leave))

        router.get("/v1/networks/{id}/priorities", .anyone, DecisionRoutes.listPriorities)
        router.post("/v1/networks/{id}/priorities", Self.participants, DecisionRoutes.proposePriority)
        router.get("/v1/networks/{id}/priorities/{priority}", .anyone, DecisionRoutes.showPriority)
        router.patch("/v1/networks/{id}/priorities/{priority}", Self.managers, DecisionRoutes.updatePriority)
        router.post("/v1/networks/{id}/priorities/{priority}/votes", Self.participants, DecisionRoutes.vote(.priority))
        router.post("/v1/networks/{id}/priorities/{priority}/conflicts", Self.participants, DecisionRoutes.declareConflict(.priority))
        router.post("/v1/networks/{id}/priorities/{priority}/decide", Self.managers, DecisionRoutes.decide(.priority))
        router.post("/v1/networks/{id}/priorities/{priority}/links", Self.managers, DecisionRoutes.linkPriority)

        router.get("/v1/networks/{id}/decisions", .anyone, DecisionRoutes.listDecisions)
        router.post("/v1/networks/{id}/decisions", Self.managers, DecisionRoutes.openDecision)
        router.get("/v1/networks/{id}/decisions/{decision}", .anyone, DecisionRoutes.showDecision)
        router.post("/v1/networks/{id}/decisions/{decision}/votes", Self.participants, DecisionRoutes.vote(.decision))
        router.post("/v1/networks/{id}/decisions/{decision}/conflicts", Self.participants, DecisionRoutes.declareConflict(.decision))
        router.post("/v1/networks/{id}/decisions/{decision}/decide", Self.managers, DecisionRoutes.decide(.decision))

        router.get("/v1/networks/{id}/meetings", .anyone, MeetingRoutes.list)
        router.post("/v1/networks/{id}/meetings", Self.managers, MeetingRoutes.create)
        router.get("/v1/networks/{id}/meetings/{meeting}", .anyone, MeetingRoutes.show)
        router.patch("/v1/networks/{id}/meetings/{meeting}", Self.managers, MeetingRoutes.update)
        router.get("/v1/networks/{id}/actions", Self.participants, MeetingRoutes.listActions)
        router.post("/v1/networks/{id}/actions", Self.managers, MeetingRoutes.createAction)
        router.patch("/v1/networks/{id}/actions/{action}", Self.participants, MeetingRoutes.updateAction)
        router.get("/v1/networks/{id}/commitments", Self.participants, MeetingRoutes.listCommitments)
        router.post("/v1/networks/{id}/commitments", Self.participants, MeetingRoutes.createCommitment)
        router.patch("/v1/networks/{id}/commitments/{commitment}", Self.participants, MeetingRoutes.updateCommitment)
        router.get("/v1/networks/{id}/external-funding", Self.participants, Report.listExternalFunding)
        router.post("/v1/networks/{id}/external-funding", Self.managers, Report.recordExternalFunding)

        router.get("/v1/assets", .anyone, PlaceRoutes.listAssets)
        router.post("/v1/assets", Self.managers, PlaceRoutes.createAsset)
        router.get("/v1/assets/{id}", .anyone, PlaceRoutes.showAsset)
        router.patch("/v1/assets/{id}", Self.managers, PlaceRoutes.updateAsset)

        router.get("/v1/events", .anyone, PlaceRoutes.listEvents)
        router.post("/v1/events", Self.participants, PlaceRoutes.createEvent)
        router.get("/v1/events/{id}", .anyone, PlaceRoutes.showEvent)
        router.patch("/v1/events/{id}", Self.participants, PlaceRoutes.updateEvent)
    }
}
