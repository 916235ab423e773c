import Foundation
import KithCore
import SQLiteStore

/// Verified public groups as an Open Referral UK (HSDS 3.0) read API, open without a key.
///
/// Each group is one organization, one service, and (when it has a place) one location and one
/// service_at_location. The organization's id is the group's organisation identifier
/// (`GB-CHC-…`, `GB-COH-…` or `XI-KITH-<group id>`), the same the Funding module publishes in its
/// 360Giving feed, so one group is one identity in both. HSDS pages by number, with its own
/// envelope; `modified_after`, and the UK profile's `postcode` and `proximity` (metres) filters.
enum OpenReferral {
    static func register(_ router: inout Router) {
        router.get("/openreferral", .anyone) { _, _ in
            .json(["version": "3.0", "profile": "https://openreferraluk.org", "openapi_url": "/openapi.yaml",
                   "endpoints": ["/openreferral/services", "/openreferral/organizations", "/openreferral/locations",
                                 "/openreferral/service_at_locations"]])
        }
        router.get("/openreferral/services", .anyone) { request, context in try list(request, context, as: { g, n in service(g, n) }) }
        router.get("/openreferral/services/{id}", .anyone) { request, context in
            try one(request, context, id: request.parameter("id"), as: { g, n in service(g, n) })
        }
        router.get("/openreferral/organizations", .anyone) { request, context in try list(request, context, as: { g, _ in organization(g) }) }
        router.get("/openreferral/organizations/{id}", .anyone) { request, context in
            let id = request.parameter("id")
            // XI-KITH-<group id> or the registration number the group gave.
            let groupId = try context.read { db in
                try db.queryOne("""
                    SELECT id FROM groups WHERE status = 'verified' AND (?1 = 'XI-KITH-' || id
                        OR ?1 = 'GB-CHC-' || charity_number OR ?1 = 'GB-COH-' || company_number)
                    ORDER BY created_at LIMIT 1
                    """, [id]) { $0.string(0) }
            }
            return try one(request, context, id: groupId ?? "", as: { g, _ in organization(g) })
        }
        router.get("/openreferral/locations", .anyone) { request, context in try list(request, context, located: true, as: { g, _ in location(g) }) }
        router.get("/openreferral/locations/{id}", .anyone) { request, context in
            try one(request, context, id: groupId(request.parameter("id"), prefix: "loc_"), located: true, as: { g, _ in location(g) })
        }
        router.get("/openreferral/service_at_locations", .anyone) { request, context in
            try list(request, context, located: true, as: { g, n in serviceAtLocation(g, n) })
        }
        router.get("/openreferral/service_at_locations/{id}", .anyone) { request, context in
            try one(request, context, id: groupId(request.parameter("id"), prefix: "sal_"), located: true, as: { g, n in serviceAtLocation(g, n) })
        }
    }

    // MARK: - Paging and filters

    private static func list(_ request: Request, _ context: RequestContext, located: Bool = false,
                             as render: (Group, [String: String]) -> JSON) throws -> Response {
        let query = request.query
        try query.allowOnly(["page", "per_page", "modified_after", "postcode", "proximity", "text"])
        let perPage = try query.int("per_page", in: 1...PageRequest.maxLimit) ?? PageRequest.defaultLimit
        let pageNumber = try query.int("page", in: 1...1_000_000) ?? 1
        let modifiedAfter = try query.timestamp("modified_after")
        let proximity = try query.double("proximity", in: 1...100_000)
        var outward: String?
        if let postcode = query.string("postcode") {
            let code = postcode.uppercased().split(separator: " ").first.map(String.init) ?? ""
            let candidate = code.count > 4 ? String(code.dropLast(3)) : code
            guard Rules.isOutwardCode(candidate) else {
                throw Problem.badRequest("postcode must be a UK postcode or its first half, such as E10 5NA or E10.",
                                         errors: [FieldError("postcode", "is not a UK postcode")])
            }
            outward = candidate
        } else if proximity != nil {
            throw Problem.badRequest("proximity needs postcode.", errors: [FieldError("proximity", "needs postcode")])
        }
        return try context.read { db in
            var search = GroupSearch()
            search.text = query.string("text")
            search.updatedSince = modifiedAfter
            search.sort = .name
            search.locatedOnly = located
            search.postcodeOutward = outward
            if let outward, let proximity {
                // Near the postcode district: the centre of the published groups that give it.
                guard let centre = try db.queryOne("""
                    SELECT avg(latitude), avg(longitude) FROM groups
                    WHERE postcode_outward = ? AND latitude IS NOT NULL AND status = 'verified'
                    """, [outward], { $0.isNull(0) ? nil : ($0.double(0), $0.double(1)) }), let centre else {
                    return envelope([], total: 0, page: pageNumber, size: perPage)
                }
                search.near = (centre.0, centre.1, proximity / 1000)
                search.postcodeOutward = nil
            }
            // HSDS pages by number: count, then the page by offset.
            let total = try search.count(db)
            let groups = try search.run(db, after: nil, limit: perPage, offset: (pageNumber - 1) * perPage).map(\.group)
            let names = try areaNames(db, groups.flatMap(\.operatesIn))
            return envelope(groups.map { render($0, names) }, total: total, page: pageNumber, size: perPage)
        }
    }

    private static func one(_ request: Request, _ context: RequestContext, id: String, located: Bool = false,
                            as render: (Group, [String: String]) -> JSON) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            guard let group = try GroupStore.find(db, id: id), group.status == "verified",
                  !located || group.latitude != nil || group.postcodeOutward != nil else {
                throw Problem.notFound("No such record at \(request.path).")
            }
            return .json(render(group, try areaNames(db, group.operatesIn)))
        }
    }

    private static func areaNames(_ db: Database, _ ids: [String]) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var names: [String: String] = [:]
        try db.forEach("SELECT id, name FROM areas WHERE id IN (SELECT value FROM json_each(?))", [JSON(Array(Set(ids))).encodedString()]) {
            names[$0.string(0)] = $0.string(1)
        }
        return names
    }

    /// `loc_<group id>` and `sal_<group id>` name a group's location and service-at-location.
    private static func groupId(_ id: String, prefix: String) -> String {
        id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : ""
    }

    private static func envelope(_ contents: [JSON], total: Int, page: Int, size: Int) -> Response {
        let pages = max(1, (total + size - 1) / size)
        return .json(["total_items": .int(total), "total_pages": .int(pages), "page_number": .int(page), "size": .int(contents.count),
                      "first_page": .bool(page == 1), "last_page": .bool(page >= pages), "empty": .bool(contents.isEmpty),
                      "contents": .array(contents)])
    }

    // MARK: - HSDS objects

    static func organization(_ g: Group) -> JSON {
        let scheme = String(g.organisationIdentifier.split(separator: "-").prefix(2).joined(separator: "-"))
        return ["id": .string(g.organisationIdentifier), "name": .string(g.name), "alternate_name": .null,
                "description": .string(g.description), "email": g.contactPublic ? JSON(g.contactEmail) : .null,
                "website": JSON(g.website), "year_incorporated": g.founded.flatMap { Int($0.prefix(4)) }.map { .int($0) } ?? .null,
                "legal_status": JSON(g.charityNumber != nil ? "registered charity" : g.companyNumber != nil ? "company" : nil),
                "organization_identifiers": .array([[
                    "id": .string("oid_" + g.id), "organization_id": .string(g.organisationIdentifier),
                    "identifier_scheme": .string(scheme), "identifier_type": "org-id",
                    "identifier": .string(String(g.organisationIdentifier.dropFirst(scheme.count + 1))),
                ]]),
                "phones": phones(g, owner: "organization_id", ownerId: g.organisationIdentifier),
                "services": .array([["id": .string(g.id), "name": .string(g.name)]])]
    }

    static func service(_ g: Group, _ areaNames: [String: String]) -> JSON {
        ["id": .string(g.id), "organization_id": .string(g.organisationIdentifier), "name": .string(g.name),
         "description": .string(g.description), "url": JSON(g.website), "email": g.contactPublic ? JSON(g.contactEmail) : .null,
         "status": "active", "eligibility_description": .string(g.openToAll ? "Open to all" : "Ask the group"),
         "last_modified": .string(g.updatedAt),
         "languages": .array(g.languages.map { ["id": .string("lang_\(g.id)_\($0)"), "service_id": .string(g.id), "code": .string($0)] }),
         "phones": phones(g, owner: "service_id", ownerId: g.id),
         "schedules": g.meetingPattern.map { .array([["id": .string("sch_" + g.id), "service_id": .string(g.id), "description": .string($0)]]) } ?? .array([]),
         "service_areas": .array(g.operatesIn.map { ["id": .string("sa_\(g.id)_\($0)"), "service_id": .string(g.id),
                                                      "name": .string(areaNames[$0] ?? $0), "extent_type": "area", "uri": .string("/v1/areas/\($0)")] }),
         "attributes": .array((g.activities.map { ("activity", $0) } + g.beneficiaries.map { ("beneficiary", $0) }).map {
             ["id": .string("attr_\(g.id)_\($0.0)_\($0.1)"), "link_id": .string(g.id), "link_type": "service",
              "taxonomy_term": ["id": .string("kith-\($0.0):\($0.1)"), "term": .string($0.1), "taxonomy": .string("kith-\($0.0)")]]
         }),
         // Not in HSDS 3.0: whether the group can take people now (a long-standing request from users).
         "capacity": capacityJSON(g),
         "organization": ["id": .string(g.organisationIdentifier), "name": .string(g.name)]]
    }

    static func location(_ g: Group) -> JSON {
        ["id": .string("loc_" + g.id), "location_type": "physical", "name": .string(g.name),
         "latitude": JSON(g.latitude), "longitude": JSON(g.longitude),
         "addresses": g.postcodeOutward.map { .array([["id": .string("adr_" + g.id), "location_id": .string("loc_" + g.id),
                                                        "address_type": "physical", "postal_code": .string($0), "country": "GB"]]) } ?? .array([])]
    }

    static func serviceAtLocation(_ g: Group, _ areaNames: [String: String]) -> JSON {
        ["id": .string("sal_" + g.id), "service_id": .string(g.id), "location_id": .string("loc_" + g.id),
         "service": service(g, areaNames), "location": location(g)]
    }

    private static func phones(_ g: Group, owner: String, ownerId: String) -> JSON {
        guard g.contactPublic, let phone = g.contactPhone else { return .array([]) }
        return .array([["id": .string("ph_" + g.id), owner: .string(ownerId), "number": .string(phone)]])
    }

    private static func capacityJSON(_ g: Group) -> JSON {
        ["accepting_members": JSON(g.capacity.acceptingMembers), "accepting_volunteers": JSON(g.capacity.acceptingVolunteers),
         "accepting_beneficiaries": JSON(g.capacity.acceptingBeneficiaries), "updated_at": JSON(g.capacity.updatedAt)]
    }
}
