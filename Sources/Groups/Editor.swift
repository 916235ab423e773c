import Areas
import KithCore
import SQLiteStore

/// Creating and changing groups: every path (officer, survey, partner, CSV, confirmation link)
/// comes through here, so the rules on areas, duplicates and the audit trail hold for all.
enum Editor {
    /// Creates a group from a validated draft.
    static func create(_ tx: Transaction, _ draft: GroupDraft, source: String, status: String,
                       principal: Principal?, externalSystem: String? = nil) throws -> Group {
        guard let name = draft.name, let kind = draft.kind, let basedIn = draft.basedIn else {
            throw Problem.validation([FieldError("name", "is required")])
        }
        let council = try checkAreas(tx.db, basedIn: basedIn, operatesIn: draft.operatesIn ?? [], principal: principal)
        let now = tx.now.rfc3339
        var group = Group(
            id: Identifier.make("grp", at: tx.now), name: name, description: draft.description ?? "", kind: kind,
            basedIn: basedIn, councilId: council, operatesIn: draft.operatesIn ?? [], activities: draft.activities ?? [],
            beneficiaries: draft.beneficiaries ?? [], languages: draft.languages ?? [], needs: draft.needs ?? [],
            offers: draft.offers ?? [], contactName: draft.contactName, contactEmail: draft.contactEmail,
            contactPhone: draft.contactPhone, contactPublic: draft.contactPublic ?? false, website: draft.website,
            meetingPattern: draft.meetingPattern, volunteers: draft.volunteers, peoplePerWeek: draft.peoplePerWeek,
            founded: draft.founded, newlyFormed: draft.newlyFormed ?? false, knownToCouncil: draft.knownToCouncil ?? false,
            worksWithCouncil: draft.worksWithCouncil ?? false, scale: draft.scale, openToAll: draft.openToAll ?? true,
            source: source, externalSystem: externalSystem, externalId: draft.externalId, status: status, mergedInto: nil,
            possibleDuplicates: [], latitude: draft.latitude, longitude: draft.longitude, postcodeOutward: draft.postcodeOutward,
            capacity: Group.Capacity(), lastConfirmedAt: now,
            verifiedAt: status == "verified" ? now : nil, verifiedBy: status == "verified" ? principal?.keyId : nil,
            createdAt: now, updatedAt: now, version: 1)
        group.charityNumber = draft.charityNumber
        group.companyNumber = draft.companyNumber
        group.sortFacets()
        group.possibleDuplicates = try GroupStore.possibleDuplicates(
            tx.db, nameKey: Rules.nameKey(name), councilId: council, emailKey: Rules.emailKey(group.contactEmail),
            phoneKey: Rules.phoneKey(group.contactPhone), excluding: nil)
        try GroupStore.save(tx, group, isNew: true)
        try tx.audit("create", "group", group.id, changes: draft.fieldNames + ["status", "source"])
        return group
    }

    /// Applies a draft's changes. Returns the group unchanged (same version) when nothing differs.
    static func update(_ tx: Transaction, _ current: Group, with draft: GroupDraft, principal: Principal?) throws -> Group {
        guard current.status != "merged" else {
            throw Problem.conflict("Group \(current.id) was merged into \(current.mergedInto ?? "another group"); change that one.")
        }
        var group = current
        if let name = draft.name { group.name = name }
        if let description = draft.description { group.description = description }
        if draft.clear.contains("description") { group.description = "" }
        if let kind = draft.kind { group.kind = kind }
        if let basedIn = draft.basedIn { group.basedIn = basedIn }
        if let operatesIn = draft.operatesIn { group.operatesIn = operatesIn }
        if let activities = draft.activities { group.activities = activities }
        if let beneficiaries = draft.beneficiaries { group.beneficiaries = beneficiaries }
        if let languages = draft.languages { group.languages = languages }
        if let needs = draft.needs { group.needs = needs }
        if let offers = draft.offers { group.offers = offers }
        set(&group.contactName, draft.contactName, clear: draft.clear.contains("contact.name"))
        set(&group.contactEmail, draft.contactEmail, clear: draft.clear.contains("contact.email"))
        set(&group.contactPhone, draft.contactPhone, clear: draft.clear.contains("contact.phone"))
        if let contactPublic = draft.contactPublic { group.contactPublic = contactPublic }
        set(&group.website, draft.website, clear: draft.clear.contains("website"))
        set(&group.meetingPattern, draft.meetingPattern, clear: draft.clear.contains("meeting_pattern"))
        set(&group.volunteers, draft.volunteers, clear: draft.clear.contains("size.volunteers"))
        set(&group.peoplePerWeek, draft.peoplePerWeek, clear: draft.clear.contains("size.people_per_week"))
        set(&group.founded, draft.founded, clear: draft.clear.contains("founded"))
        if let newlyFormed = draft.newlyFormed { group.newlyFormed = newlyFormed }
        if let known = draft.knownToCouncil { group.knownToCouncil = known }
        if let works = draft.worksWithCouncil { group.worksWithCouncil = works }
        set(&group.scale, draft.scale, clear: draft.clear.contains("scale"))
        if let openToAll = draft.openToAll { group.openToAll = openToAll }
        if draft.clear.contains("location") {
            group.latitude = nil
            group.longitude = nil
        } else if let latitude = draft.latitude, let longitude = draft.longitude {
            group.latitude = latitude
            group.longitude = longitude
        }
        set(&group.postcodeOutward, draft.postcodeOutward, clear: draft.clear.contains("postcode_outward"))
        set(&group.charityNumber, draft.charityNumber, clear: draft.clear.contains("charity_number"))
        set(&group.companyNumber, draft.companyNumber, clear: draft.clear.contains("company_number"))

        let changes = changedFields(current, group)
        guard !changes.isEmpty else { return current }
        if changes.contains("based_in") || changes.contains("operates_in"), let basedIn = group.basedIn {
            group.councilId = try checkAreas(tx.db, basedIn: basedIn, operatesIn: group.operatesIn, principal: principal)
        }
        if changes.contains("name") || changes.contains("contact") || changes.contains("based_in") {
            group.possibleDuplicates = try GroupStore.possibleDuplicates(
                tx.db, nameKey: Rules.nameKey(group.name), councilId: group.councilId, emailKey: Rules.emailKey(group.contactEmail),
                phoneKey: Rules.phoneKey(group.contactPhone), excluding: group.id)
        }
        group.updatedAt = tx.now.rfc3339
        group.version += 1
        group.sortFacets()
        try GroupStore.save(tx, group, isNew: false)
        try tx.audit("update", "group", group.id, changes: changes)
        return group
    }

    /// Saves a change the caller already made to `group` (status, capacity, confirmation, merge).
    static func save(_ tx: Transaction, _ group: Group, from current: Group, action: String) throws -> Group {
        guard current.status != "merged" else {
            throw Problem.conflict("Group \(current.id) was merged into \(current.mergedInto ?? "another group"); change that one.")
        }
        var group = group
        let changes = changedFields(current, group)
        guard !changes.isEmpty else { return current }
        group.updatedAt = tx.now.rfc3339
        group.version = current.version + 1
        group.sortFacets()
        try GroupStore.save(tx, group, isNew: false)
        try tx.audit(action, "group", group.id, changes: changes)
        return group
    }

    private static func set<T>(_ field: inout T?, _ value: T?, clear: Bool) {
        if clear { field = nil } else if let value { field = value }
    }

    /// `based_in` must be an area the caller may use; `operates_in` areas must exist in the same
    /// council. Returns the council.
    static func checkAreas(_ db: Database, basedIn: String, operatesIn: [String], principal: Principal?) throws -> String {
        guard let area = try Areas.find(db, id: basedIn) else { throw Problem.invalid("based_in", "is not an area: \(basedIn)") }
        // Any key limited to an area (staff, partners) places groups only inside it.
        if let scope = principal?.scope, scope.kind == .area || Visibility.seesAll(principal),
           try !Areas.scopeAllows(principal, areaId: area.id, db: db) {
            throw Problem.invalid("based_in", "is outside the areas this key may use")
        }
        var errors: [FieldError] = []
        for (i, id) in operatesIn.enumerated() {
            guard let other = try Areas.find(db, id: id) else { errors.append(FieldError("operates_in[\(i)]", "is not an area: \(id)")); continue }
            if other.councilId != area.councilId { errors.append(FieldError("operates_in[\(i)]", "must be in the same council as based_in")) }
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return area.councilId
    }

    /// The JSON names of the fields that differ.
    static func changedFields(_ a: Group, _ b: Group) -> [String] {
        var names: [String] = []
        func check(_ name: String, _ changed: Bool) { if changed { names.append(name) } }
        check("name", a.name != b.name)
        check("description", a.description != b.description)
        check("kind", a.kind != b.kind)
        check("based_in", a.basedIn != b.basedIn)
        check("operates_in", Set(a.operatesIn) != Set(b.operatesIn))
        check("activities", Set(a.activities) != Set(b.activities))
        check("beneficiaries", Set(a.beneficiaries) != Set(b.beneficiaries))
        check("languages", Set(a.languages) != Set(b.languages))
        check("needs", Set(a.needs) != Set(b.needs))
        check("offers", Set(a.offers) != Set(b.offers))
        check("contact", a.contactName != b.contactName || a.contactEmail != b.contactEmail || a.contactPhone != b.contactPhone
            || a.contactPublic != b.contactPublic)
        check("website", a.website != b.website)
        check("meeting_pattern", a.meetingPattern != b.meetingPattern)
        check("size", a.volunteers != b.volunteers || a.peoplePerWeek != b.peoplePerWeek)
        check("founded", a.founded != b.founded)
        check("newly_formed", a.newlyFormed != b.newlyFormed)
        check("known_to_council", a.knownToCouncil != b.knownToCouncil)
        check("works_with_council", a.worksWithCouncil != b.worksWithCouncil)
        check("scale", a.scale != b.scale)
        check("open_to_all", a.openToAll != b.openToAll)
        check("location", a.latitude != b.latitude || a.longitude != b.longitude)
        check("postcode_outward", a.postcodeOutward != b.postcodeOutward)
        check("charity_number", a.charityNumber != b.charityNumber)
        check("company_number", a.companyNumber != b.companyNumber)
        check("status", a.status != b.status)
        check("merged_into", a.mergedInto != b.mergedInto)
        check("capacity", a.capacity != b.capacity)
        check("last_confirmed_at", a.lastConfirmedAt != b.lastConfirmedAt)
        return names
    }
}
