import KithCore

/// `GET /v1/audit`: who changed what, newest first.
enum AuditRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let query = request.query
        let page = try PageRequest(query, list: "audit", filters: ["resource_type", "resource_id", "key_id", "action", "since", "until"], keyLength: 1)
        var filter = AuditLog.Filter()
        filter.resourceType = query.string("resource_type")
        filter.resourceId = query.string("resource_id")
        filter.keyId = query.string("key_id")
        filter.action = query.string("action")
        filter.since = try query.timestamp("since") ?? page.updatedSince
        filter.until = try query.timestamp("until")
        filter.scope = context.principal?.scope
        let beforeSeq = try page.afterInts()?.first
        let entries = try context.read { db in
            try AuditLog.list(db, filter: filter, beforeSeq: beforeSeq, limit: page.fetchLimit)
        }
        let (items, next) = page.page(entries) { [.int($0.seq)] }
        return .page(items.map(\.json), nextCursor: next)
    }
}
