import Foundation
import Areas
import KithCore
import SQLiteStore

/// People, their consents and volunteers' checks; subject access export and erasure.
public struct PeopleModule: KithModule {
    public let name = "people"
    let holders: [any PersonalDataHolder]

    /// `holders`: the other modules that hold personal data, for export and erasure.
    public init(holders: [any PersonalDataHolder] = []) { self.holders = holders }

    static let staff: Access = .only(.admin, .officer, .coordinator)

    public func register(_ router: inout Router) {
        let holders = self.holders
        router.get("/v1/people", Self.staff, PeopleRoutes.list)
        router.post("/v1/people", Self.staff, PeopleRoutes.create)
        router.get("/v1/people/{id}", .only(.admin, .officer, .coordinator, .volunteer), PeopleRoutes.show)
        router.patch("/v1/people/{id}", .only(.admin, .officer, .coordinator, .volunteer), PeopleRoutes.update)
        router.get("/v1/people/{id}/consents", .only(.admin, .officer, .coordinator, .volunteer), PeopleRoutes.listConsents)
        router.post("/v1/people/{id}/consents", .only(.admin, .officer, .coordinator, .volunteer), PeopleRoutes.recordConsent)
        router.get("/v1/people/{id}/checks", .only(.admin, .officer, .coordinator, .volunteer), CheckRoutes.list)
        router.post("/v1/people/{id}/checks", Self.staff, CheckRoutes.create)
        router.patch("/v1/people/{id}/checks/{check}", Self.staff, CheckRoutes.update)
        router.get("/v1/checks/expiring", Self.staff, CheckRoutes.expiring)
        router.get("/v1/people/{id}/export", .only(.admin, .officer)) { request, context in
            try DataProtection.export(request, context, holders: holders)
        }
        router.post("/v1/people/{id}/erase", .only(.admin, .officer)) { request, context in
            try DataProtection.erase(request, context, holders: holders)
        }
    }
}

/// The fields a caller sets on a person.
public struct PersonDraft: Sendable {
    public var fullName: String?
    public var preferredName: String?
    public var email: String?
    public var phone: String?
    public var address: String?
    public var postcode: String?
    public var areaId: String?
    public var languages: [String]?
    public var dateOfBirth: String?
    public var ageBand: String?
    public var gender: String?
    public var roles: [String]?
    public var providerId: String?
    public var notes: String?
    public var clear: Set<String> = []
    public var consents: [(purpose: String, given: Bool, method: String)] = []

    static let purposes = ["store_details", "share_with_provider", "contact_by_phone", "contact_by_email", "photographs",
                           "outcome_surveys", "publicity"]
    static let methods = ["written", "verbal", "online", "by_representative"]

    /// `selfService`: a volunteer editing their own record changes only their contact details,
    /// names and languages. `referred`: someone new arriving with a referral, whose role and
    /// provider come from the referral itself.
    public static func read(_ input: Input, creating: Bool, selfService: Bool = false, referred: Bool = false) -> PersonDraft {
        var d = PersonDraft()
        d.fullName = input.string("full_name", required: creating, maxLength: 200)
        d.preferredName = input.string("preferred_name", maxLength: 100)
        d.email = input.email("email")
        d.phone = input.phone("phone")
        d.address = input.text("address", maxLength: 500)
        if let postcode = input.string("postcode", maxLength: 8) {
            let normalised = postcode.uppercased()
            if normalised.range(of: #"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$"#, options: .regularExpression) == nil {
                input.fail("postcode", "must be a UK postcode such as E10 5NA")
            } else { d.postcode = normalised }
        }
        d.languages = input.strings("languages", maxCount: 20, maxLength: 3)
        for (i, code) in (d.languages ?? []).enumerated() where !((2...3).contains(code.count) && code.allSatisfy { $0.isLowercase }) {
            input.fail("languages[\(i)]", "must be an ISO 639 language code such as en, pl, ti")
        }
        if !selfService {
            d.areaId = input.string("area_id", maxLength: 60)
            d.dateOfBirth = input.date("date_of_birth")
            d.ageBand = input.choice("age_band", from: Person.ageBands)
            d.gender = input.choice("gender", from: Person.genders)
            if !referred {
                d.roles = input.choices("roles", from: Person.roleNames, required: creating)
                if d.roles?.isEmpty == true { input.fail("roles", "must name at least one role") }
                d.providerId = input.string("provider_id", maxLength: 60)
            }
            d.notes = input.text("notes", maxLength: 5000)
            if creating {
                d.consents = input.objects("consents", maxCount: 10) { c in
                    let purpose = c.choice("purpose", from: purposes, required: true)
                    let given = c.bool("given", required: true)
                    let method = c.choice("method", from: methods, required: true)
                    guard let purpose, let given, let method else { return nil }
                    return (purpose: purpose, given: given, method: method)
                } ?? []
                if !d.consents.contains(where: { $0.purpose == "store_details" && $0.given }) {
                    input.fail("consents", "must record the person's consent to store their details (purpose store_details, given true)")
                }
            }
        }
        for field in ["preferred_name", "email", "phone", "address", "postcode", "date_of_birth", "age_band", "gender", "notes", "area_id"]
            where input.isNull(field) { d.clear.insert(field) }
        if input.isNull("full_name") { input.fail("full_name", "must not be null") }
        return d
    }

    func apply(to person: inout Person) {
        func set(_ field: inout String?, _ value: String?, _ name: String) { if clear.contains(name) { field = nil } else if let value { field = value } }
        if let fullName { person.fullName = fullName }
        set(&person.preferredName, preferredName, "preferred_name")
        set(&person.email, email, "email")
        set(&person.phone, phone, "phone")
        set(&person.address, address, "address")
        set(&person.postcode, postcode, "postcode")
        set(&person.areaId, areaId, "area_id")
        if let languages { person.languages = languages }
        set(&person.dateOfBirth, dateOfBirth, "date_of_birth")
        set(&person.ageBand, ageBand, "age_band")
        set(&person.gender, gender, "gender")
        if let roles { person.roles = roles.sorted() }
        if let providerId { person.providerId = providerId }
        set(&person.notes, notes, "notes")
    }
}

enum PeopleRoutes {
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "people", filters: ["role", "area", "provider", "name"], keyLength: 2)
        var filter = PeopleStore.Filter()
        filter.role = try request.query.oneOf("role", Person.roleNames)
        filter.name = request.query.string("name")
        filter.updatedSince = page.updatedSince
        let after = try page.afterStrings()
        let people = try context.read { db -> [Person] in
            if let area = request.query.string("area") {
                guard let path = try Areas.subtreePath(db, id: area) else { throw Problem.badRequest("There is no area \(area).") }
                filter.areaPath = path
            }
            // Scope: an area for staff, a caseload for coordinators.
            if let provider = PeopleAccess.coordinatorProvider(context.principal) {
                filter.providerId = provider
            } else if let scope = context.principal?.scope {
                guard scope.kind == .area, let path = try Areas.subtreePath(db, id: scope.id) else { return [] }
                filter.scopePath = path
                filter.providerId = request.query.string("provider")
            } else {
                filter.providerId = request.query.string("provider")
            }
            if context.principal?.role == .coordinator, context.principal?.scope?.kind != .organisation { return [] }
            return try PeopleStore.list(db, filter: filter, after: after, limit: page.fetchLimit)
        }
        let (items, next) = page.page(people) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map { $0.json(.full, today: context.now.date) }, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let person = try context.read { db in try PeopleAccess.require(db, id: request.parameter("id"), for: context.principal) }
        return .resource(person.json(PeopleAccess.view(context.principal, person), today: context.now.date), version: person.version)
    }

    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = PersonDraft.read(input, creating: true)
        try input.finish()
        let person = try context.write { tx in try insert(tx, draft, principal: context.principal) }
        return .created(person.json(.full, today: context.now.date), location: "/v1/people/\(person.id)", version: person.version)
    }

    static func insert(_ tx: Transaction, _ draft: PersonDraft, principal: Principal?) throws -> Person {
        let now = tx.now.rfc3339
        var person = Person(id: Identifier.make("per", at: tx.now), fullName: nil, preferredName: nil, email: nil, phone: nil, address: nil,
                            postcode: nil, areaId: nil, languages: [], dateOfBirth: nil, ageBand: nil, gender: nil, roles: [],
                            providerId: nil, notes: nil, erasedAt: nil, createdAt: now, updatedAt: now, version: 1)
        draft.apply(to: &person)
        // A coordinator's people join its own caseload.
        if let provider = PeopleAccess.coordinatorProvider(principal) {
            if let asked = draft.providerId, asked != provider { throw Problem.invalid("provider_id", "must be your own provider, \(provider)") }
            person.providerId = provider
        }
        try checkArea(tx.db, person.areaId, principal: principal)
        // A key limited to an area must place the person in it, or could not see them again.
        if principal?.scope?.kind == .area, person.areaId == nil { throw Problem.invalid("area_id", "is required for a key limited to an area") }
        try checkProvider(tx.db, person.providerId)
        try PeopleStore.save(tx, person, isNew: true)
        try tx.audit("create", "person", person.id, changes: ["full_name", "contact", "area_id", "roles", "date_of_birth"])
        for consent in draft.consents {
            try PeopleStore.addConsent(tx, personId: person.id, purpose: consent.purpose, given: consent.given, method: consent.method, note: nil)
        }
        return person
    }

    /// Providers are registered by the Matching module; People reads only whether one exists, to
    /// name the field in the error rather than fail on the foreign key.
    static func checkProvider(_ db: Database, _ providerId: String?) throws {
        guard let providerId else { return }
        guard try db.scalarInt("SELECT count(*) FROM providers WHERE id = ?", [providerId]) == 1 else {
            throw Problem.invalid("provider_id", "is not a provider")
        }
    }

    static func checkArea(_ db: Database, _ areaId: String?, principal: Principal?) throws {
        guard let areaId else { return }
        guard try Areas.find(db, id: areaId) != nil else { throw Problem.invalid("area_id", "is not an area") }
        if principal?.scope?.kind == .area, try !Areas.scopeAllows(principal, areaId: areaId, db: db) {
            throw Problem.invalid("area_id", "is outside the areas this key may use")
        }
    }

    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let selfService = context.principal?.role == .volunteer
        let draft = PersonDraft.read(input, creating: false, selfService: selfService)
        try input.finish()
        let person = try context.write { tx -> Person in
            let current = try PeopleAccess.requireActive(tx.db, id: request.parameter("id"), for: context.principal)
            try ETag.check(request, currentVersion: current.version)
            if let provider = PeopleAccess.coordinatorProvider(context.principal), let asked = draft.providerId, asked != provider {
                throw Problem.invalid("provider_id", "must be your own provider, \(provider)")
            }
            var person = current
            draft.apply(to: &person)
            try checkArea(tx.db, draft.areaId, principal: context.principal)
            if draft.providerId != current.providerId { try checkProvider(tx.db, draft.providerId) }
            if context.principal?.scope?.kind == .area, person.areaId == nil {
                throw Problem.invalid("area_id", "cannot be cleared by a key limited to an area")
            }
            let changes = changedFields(current, person)
            guard !changes.isEmpty else { return current }
            person.updatedAt = tx.now.rfc3339
            person.version += 1
            try PeopleStore.save(tx, person, isNew: false)
            try tx.audit("update", "person", person.id, changes: changes)
            return person
        }
        return .resource(person.json(PeopleAccess.view(context.principal, person), today: context.now.date), version: person.version)
    }

    static func changedFields(_ a: Person, _ b: Person) -> [String] {
        let pairs: [(String, Bool)] = [
            ("full_name", a.fullName != b.fullName), ("preferred_name", a.preferredName != b.preferredName),
            ("email", a.email != b.email), ("phone", a.phone != b.phone), ("address", a.address != b.address),
            ("postcode", a.postcode != b.postcode), ("area_id", a.areaId != b.areaId), ("languages", a.languages != b.languages),
            ("date_of_birth", a.dateOfBirth != b.dateOfBirth), ("age_band", a.ageBand != b.ageBand), ("gender", a.gender != b.gender),
            ("roles", a.roles != b.roles), ("provider_id", a.providerId != b.providerId), ("notes", a.notes != b.notes),
        ]
        return pairs.filter(\.1).map(\.0)
    }

    @Sendable static func listConsents(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let consents = try context.read { db -> [JSON] in
            let person = try PeopleAccess.require(db, id: request.parameter("id"), for: context.principal)
            return try PeopleStore.consents(db, personId: person.id)
        }
        return .json(["data": .array(consents), "next_cursor": .null])
    }

    /// `POST /v1/people/{id}/consents`: consent given or withdrawn is a new entry; nothing is
    /// overwritten, so the history of what was agreed stays.
    @Sendable static func recordConsent(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let purpose = input.choice("purpose", from: PersonDraft.purposes, required: true)
        let given = input.bool("given", required: true)
        let method = input.choice("method", from: PersonDraft.methods, required: true)
        let note = input.string("note", maxLength: 500)
        try input.finish()
        guard let purpose, let given, let method else { throw Problem.internalError() }
        let consents = try context.write { tx -> [JSON] in
            let person = try PeopleAccess.requireActive(tx.db, id: request.parameter("id"), for: context.principal)
            try PeopleStore.addConsent(tx, personId: person.id, purpose: purpose, given: given, method: method, note: note)
            return try PeopleStore.consents(tx.db, personId: person.id)
        }
        return .json(["data": .array(consents), "next_cursor": .null], status: 201)
    }
}
