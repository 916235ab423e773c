import KithCore
import KithResources

/// The platform's own routes: health, readiness, metrics, the spec, API keys and the audit log.
struct PlatformModule: KithModule {
    let name = "platform"

    func register(_ router: inout Router) {
        let operational = RouteOptions(operational: true)
        router.get("/healthz", .anyone, options: operational) { _, _ in .json(["status": "ok"]) }
        router.get("/readyz", .anyone, options: operational, Health.ready)
        router.get("/metrics", .anyone, options: operational) { _, context in
            .text(context.services.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.yaml", .anyone, options: operational) { _, _ in
            .text(EmbeddedResources.openAPI, contentType: "application/yaml; charset=utf-8")
        }

        router.get("/v1/me", .roles(Set(Role.allCases)), KeyRoutes.me)
        router.post("/v1/keys", .only(.admin), options: RouteOptions(responseHoldsSecret: true), KeyRoutes.create)
        router.get("/v1/keys", .only(.admin), KeyRoutes.list)
        router.get("/v1/keys/{id}", .only(.admin), KeyRoutes.show)
        router.patch("/v1/keys/{id}", .only(.admin), KeyRoutes.update)
        router.delete("/v1/keys/{id}", .only(.admin), KeyRoutes.revoke)

        router.get("/v1/audit", .only(.admin), AuditRoutes.list)
    }
}

enum Health {
    /// Ready when the database answers a query on a reader and the writer is not stuck.
    @Sendable static func ready(_ request: Request, _ context: RequestContext) throws -> Response {
        do {
            _ = try context.read { db in try db.scalarInt("SELECT count(*) FROM schema_migrations") }
        } catch {
            throw Problem.unavailable("The database does not answer.", retryAfter: 5)
        }
        return .json(["status": "ready"])
    }
}
