import Areas
import Groups
import KithCore
import SQLiteStore

/// Local assets (hubs and spaces networks can use) and community events.
enum PlaceRoutes {
    // MARK: - Assets

    @Sendable static func listAssets(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "assets", filters: ["area", "kind", "accessibility", "min_capacity"], keyLength: 2)
        let kind = try request.query.oneOf("kind", Asset.kinds)
        let needs = request.query.list("accessibility")
        if let bad = needs.first(where: { !accessibilityFeatures.contains($0) }) {
            throw Problem.badRequest("\(bad) is not an accessibility feature.", errors: [FieldError("accessibility", "must be among: \(accessibilityFeatures.joined(separator: ", "))")])
        }
        let minCapacity = try request.query.int("min_capacity", in: 0...1_000_000)
        let after = try page.afterStrings()
        let assets = try context.read { db -> [Asset] in
            var path: String?
            if let area = request.query.string("area") {
                guard let found = try Areas.subtreePath(db, id: area) else { throw Problem.invalid("area", "is not an area") }
                path = found
            }
            return try db.query("""
                SELECT \(NetworkStore.assetColumns) FROM assets
                WHERE \(Areas.within("area_id", "?1"))
                  AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR capacity >= ?3)
                  AND NOT EXISTS (SELECT 1 FROM json_each(?4) w WHERE w.value NOT IN (SELECT value FROM json_each(assets.accessibility)))
                  AND (?5 IS NULL OR (name, id) > (?5, ?6)) AND (?8 IS NULL OR updated_at >= ?8)
                ORDER BY name, id LIMIT ?7
                """, [path, kind, minCapacity, JSON(needs).encodedString(), after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339], NetworkStore.asset)
        }
        let (items, next) = page.page(assets) { [.string($0.name), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showAsset(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let asset = try context.read({ db in try NetworkStore.findAsset(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No asset \(request.parameter("id")).")
        }
        return .resource(asset.json, version: asset.version)
    }

    @Sendable static func createAsset(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = AssetFields.read(input, creating: true)
        try input.finish()
        let asset = try context.write { tx -> Asset in
            let now = tx.now.rfc3339
            var asset = Asset(id: Identifier.make("ast", at: tx.now), name: "", kind: "other", areaId: "", address: nil, capacity: nil,
                              accessibility: [], availabilityNotes: nil, owner: nil, networkId: nil, createdAt: now, updatedAt: now, version: 1)
            try fields.apply(to: &asset, context: context, db: tx.db)
            try NetworkStore.saveAsset(tx, asset, isNew: true)
            try tx.audit("create", "asset", asset.id, changes: fields.names)
            return asset
        }
        return .created(asset.json, location: "/v1/assets/\(asset.id)", version: asset.version)
    }

    @Sendable static func updateAsset(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = AssetFields.read(input, creating: false)
        try input.finish()
        let asset = try context.write { tx -> Asset in
            guard let current = try NetworkStore.findAsset(tx.db, id: request.parameter("id")) else {
                throw Problem.notFound("No asset \(request.parameter("id")).")
            }
            try checkAssetAccess(current, context: context, db: tx.db)
            try ETag.check(request, currentVersion: current.version)
            var asset = current
            try fields.apply(to: &asset, context: context, db: tx.db)
            guard !fields.names.isEmpty else { return current }
            asset.updatedAt = tx.now.rfc3339
            asset.version += 1
            try NetworkStore.saveAsset(tx, asset, isNew: false)
            try tx.audit("update", "asset", asset.id, changes: fields.names)
            return asset
        }
        return .resource(asset.json, version: asset.version)
    }

    /// Officers and admins change assets in their area; a facilitator those its network added.
    static func checkAssetAccess(_ asset: Asset, context: RequestContext, db: Database) throws {
        if context.principal?.role == .facilitator {
            guard let networkId = asset.networkId, let network = try NetworkStore.findNetwork(db, id: networkId),
                  try Permissions.canManage(context.principal, network, db: db) else {
                throw Problem.forbidden("A facilitator changes only the assets its own network added.")
            }
        } else if try !Areas.scopeAllows(context.principal, areaId: asset.areaId, db: db) {
            throw Problem.forbidden("This asset is outside the areas this key may change.")
        }
    }

    struct AssetFields {
        var name: String?
        var kind: String?
        var areaId: String?
        var address: String??
        var capacity: Int?
        var accessibility: [String]?
        var availabilityNotes: String??
        var owner: String??
        var networkId: String?
        var names: [String] = []

        static func read(_ input: Input, creating: Bool) -> AssetFields {
            var f = AssetFields()
            f.name = input.string("name", required: creating, maxLength: 200)
            f.kind = input.choice("kind", from: Asset.kinds, required: creating)
            f.areaId = input.string("area_id", required: creating, maxLength: 60)
            func optional(_ key: String, _ value: String?) -> String?? { input.isNull(key) ? .some(nil) : value.map { .some($0) } }
            f.address = optional("address", input.string("address", maxLength: 300))
            f.capacity = input.int("capacity", in: 0...1_000_000)
            f.accessibility = input.choices("accessibility", from: accessibilityFeatures)
            f.availabilityNotes = optional("availability_notes", input.text("availability_notes", maxLength: 2000))
            f.owner = optional("owner", input.string("owner", maxLength: 200))
            f.networkId = input.string("network_id", maxLength: 60)
            let all: [(String, Bool)] = [("name", f.name != nil), ("kind", f.kind != nil), ("area_id", f.areaId != nil), ("address", f.address != nil),
                                         ("capacity", f.capacity != nil), ("accessibility", f.accessibility != nil),
                                         ("availability_notes", f.availabilityNotes != nil), ("owner", f.owner != nil),
                                         ("network_id", f.networkId != nil)]
            f.names = all.filter(\.1).map(\.0)
            return f
        }

        func apply(to asset: inout Asset, context: RequestContext, db: Database) throws {
            if let name { asset.name = name }
            if let kind { asset.kind = kind }
            if let areaId {
                guard try Areas.find(db, id: areaId) != nil else { throw Problem.invalid("area_id", "is not an area") }
                asset.areaId = areaId
            }
            if let address { asset.address = address }
            if let capacity { asset.capacity = capacity }
            if let accessibility { asset.accessibility = accessibility.sorted() }
            if let availabilityNotes { asset.availabilityNotes = availabilityNotes }
            if let owner { asset.owner = owner }
            if let networkId {
                guard let network = try NetworkStore.findNetwork(db, id: networkId) else { throw Problem.invalid("network_id", "is not a network") }
                guard try Permissions.canManage(context.principal, network, db: db) else {
                    throw Problem.invalid("network_id", "is not a network this key manages")
                }
                asset.networkId = networkId
            }
            if context.principal?.role == .facilitator && asset.networkId == nil {
                throw Problem.invalid("network_id", "is required: a facilitator adds assets for its own network")
            }
            // A facilitator's asset lies inside its network's areas; an officer's inside its scope.
            let network = try asset.networkId.flatMap { try NetworkStore.findNetwork(db, id: $0) }
            try Permissions.checkArea(asset.areaId, for: context.principal, network: network, db: db, field: "area_id")
        }
    }

    // MARK: - Events

    /// `GET /v1/events`: upcoming events by default, soonest first; by area, category and dates.
    @Sendable static func listEvents(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "events", filters: ["area", "category", "from", "to", "organiser", "include_cancelled"], keyLength: 2)
        let category = try request.query.oneOf("category", Event.categories)
        let from = try request.query.timestamp("from") ?? context.now
        let to = try request.query.timestamp("to")
        let includeCancelled = try request.query.bool("include_cancelled") ?? false
        let after = try page.afterStrings()
        let events = try context.read { db -> [Event] in
            var path: String?
            if let area = request.query.string("area") {
                guard let found = try Areas.subtreePath(db, id: area) else { throw Problem.invalid("area", "is not an area") }
                path = found
            }
            return try db.query("""
                SELECT \(NetworkStore.eventColumns) FROM events
                WHERE coalesce(ends_at, starts_at) >= ?1 AND (?2 IS NULL OR starts_at < ?2)
                  AND \(Areas.within("area_id", "?3"))
                  AND (?4 IS NULL OR category = ?4) AND (?5 IS NULL OR organiser_group = ?5 OR organiser_network = ?5)
                  AND (?6 = 1 OR status = 'scheduled') AND (?7 IS NULL OR (starts_at, id) > (?7, ?8))
                  AND (?10 IS NULL OR updated_at >= ?10)
                ORDER BY starts_at, id LIMIT ?9
                """, [from.rfc3339, to?.rfc3339, path, category, request.query.string("organiser"), includeCancelled,
                      after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], NetworkStore.event)
        }
        let (items, next) = page.page(events) { [.string($0.startsAt), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showEvent(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let event = try context.read({ db in try NetworkStore.findEvent(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No event \(request.parameter("id")).")
        }
        return .resource(event.json, version: event.version)
    }

    @Sendable static func createEvent(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = EventFields.read(input, creating: true)
        try input.finish()
        let event = try context.write { tx -> Event in
            let now = tx.now.rfc3339
            var event = Event(id: Identifier.make("evt", at: tx.now), title: "", description: "", organiserGroup: nil, organiserNetwork: nil,
                              areaId: "", assetId: nil, placeNote: nil, startsAt: now, endsAt: nil, category: "other", openToAll: true,
                              capacity: nil, accessibility: [], status: "scheduled", attendance: nil, createdAt: now, updatedAt: now, version: 1)
            try fields.apply(to: &event, context: context, db: tx.db)
            try checkOrganiser(event, context: context, db: tx.db)
            try NetworkStore.saveEvent(tx, event, isNew: true)
            try tx.audit("create", "event", event.id, changes: fields.names)
            return event
        }
        return .created(event.json, location: "/v1/events/\(event.id)", version: event.version)
    }

    @Sendable static func updateEvent(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = EventFields.read(input, creating: false)
        try input.finish()
        let event = try context.write { tx -> Event in
            guard let current = try NetworkStore.findEvent(tx.db, id: request.parameter("id")) else {
                throw Problem.notFound("No event \(request.parameter("id")).")
            }
            try checkOrganiser(current, context: context, db: tx.db)
            try ETag.check(request, currentVersion: current.version)
            var event = current
            try fields.apply(to: &event, context: context, db: tx.db)
            try checkOrganiser(event, context: context, db: tx.db)
            guard !fields.names.isEmpty else { return current }
            event.updatedAt = tx.now.rfc3339
            event.version += 1
            try NetworkStore.saveEvent(tx, event, isNew: false)
            try tx.audit("update", "event", event.id, changes: fields.names)
            return event
        }
        return .resource(event.json, version: event.version)
    }

    /// Groups publish their own events (in their council), facilitators their networks' (in the
    /// network's areas), officers any in their area.
    static func checkOrganiser(_ event: Event, context: RequestContext, db: Database) throws {
        switch context.principal?.role {
        case .group:
            guard let groupId = event.organiserGroup, context.principal?.scope == Scope(kind: .group, id: groupId) else {
                throw Problem.forbidden("A group's key publishes and changes only that group's events.")
            }
            if let group = try Directory.find(db, id: groupId), let council = group.councilId,
               try !Areas.isWithin(db, areaId: event.areaId, ancestorId: council) {
                throw Problem.invalid("area_id", "must be in the group's council")
            }
        case .facilitator:
            guard let networkId = event.organiserNetwork, let network = try NetworkStore.findNetwork(db, id: networkId),
                  try Permissions.canManage(context.principal, network, db: db) else {
                throw Problem.forbidden("A facilitator publishes and changes only its network's events.")
            }
            try Permissions.checkArea(event.areaId, for: context.principal, network: network, db: db, field: "area_id")
        default:
            guard try Areas.scopeAllows(context.principal, areaId: event.areaId, db: db) else {
                throw Problem.forbidden("This event is outside the areas this key may change.")
            }
        }
    }

    struct EventFields {
        var title: String?
        var description: String?
        var organiserGroup: String?
        var organiserNetwork: String?
        var areaId: String?
        var assetId: String?
        var placeNote: String?
        var startsAt: Timestamp?
        var endsAt: Timestamp?
        var category: String?
        var openToAll: Bool?
        var capacity: Int?
        var accessibility: [String]?
        var status: String?
        var attendance: Int?
        var names: [String] = []

        static func read(_ input: Input, creating: Bool) -> EventFields {
            var f = EventFields()
            f.title = input.string("title", required: creating, maxLength: 200)
            f.description = input.text("description", maxLength: 5000)
            if let organiser = input.object("organiser", required: creating) {
                f.organiserGroup = organiser.string("group_id", maxLength: 60)
                f.organiserNetwork = organiser.string("network_id", maxLength: 60)
                if (f.organiserGroup == nil) == (f.organiserNetwork == nil) { organiser.fail("group_id", "give exactly one of group_id and network_id") }
            }
            f.areaId = input.string("area_id", required: creating, maxLength: 60)
            f.assetId = input.string("asset_id", maxLength: 60)
            f.placeNote = input.string("place_note", maxLength: 300)
            f.startsAt = input.timestamp("starts_at", required: creating)
            f.endsAt = input.timestamp("ends_at")
            f.category = input.choice("category", from: Event.categories, required: creating)
            f.openToAll = input.bool("open_to_all")
            f.capacity = input.int("capacity", in: 0...1_000_000)
            f.accessibility = input.choices("accessibility", from: accessibilityFeatures)
            f.status = input.choice("status", from: ["scheduled", "cancelled"])
            f.attendance = input.int("attendance", in: 0...1_000_000)
            if let s = f.startsAt, let e = f.endsAt, e < s { input.fail("ends_at", "must not be before starts_at") }
            let all: [(String, Bool)] = [("title", f.title != nil), ("description", f.description != nil),
                                         ("organiser", f.organiserGroup != nil || f.organiserNetwork != nil), ("area_id", f.areaId != nil),
                                         ("asset_id", f.assetId != nil), ("place_note", f.placeNote != nil), ("starts_at", f.startsAt != nil),
                                         ("ends_at", f.endsAt != nil), ("category", f.category != nil), ("open_to_all", f.openToAll != nil),
                                         ("capacity", f.capacity != nil), ("accessibility", f.accessibility != nil), ("status", f.status != nil),
                                         ("attendance", f.attendance != nil)]
            f.names = all.filter(\.1).map(\.0)
            return f
        }

        func apply(to event: inout Event, context: RequestContext, db: Database) throws {
            if let title { event.title = title }
            if let description { event.description = description }
            if organiserGroup != nil || organiserNetwork != nil {
                if let organiserGroup {
                    guard let group = try Directory.find(db, id: organiserGroup), group.status == "verified" else {
                        throw Problem.invalid("organiser.group_id", "is not a verified group")
                    }
                }
                if let organiserNetwork, try NetworkStore.findNetwork(db, id: organiserNetwork) == nil {
                    throw Problem.invalid("organiser.network_id", "is not a network")
                }
                event.organiserGroup = organiserGroup
                event.organiserNetwork = organiserNetwork
            }
            if let areaId {
                guard try Areas.find(db, id: areaId) != nil else { throw Problem.invalid("area_id", "is not an area") }
                event.areaId = areaId
            }
            if let assetId {
                guard try NetworkStore.findAsset(db, id: assetId) != nil else { throw Problem.invalid("asset_id", "is not an asset") }
                event.assetId = assetId
            }
            if let placeNote { event.placeNote = placeNote }
            if let startsAt { event.startsAt = startsAt.rfc3339 }
            if let endsAt { event.endsAt = endsAt.rfc3339 }
            if let end = event.endsAt, end < event.startsAt { throw Problem.invalid("ends_at", "must not be before starts_at") }
            if let category { event.category = category }
            if let openToAll { event.openToAll = openToAll }
            if let capacity { event.capacity = capacity }
            if let accessibility { event.accessibility = accessibility.sorted() }
            if let status { event.status = status }
            if let attendance { event.attendance = attendance }
        }
    }
}
