import Areas
import KithCore
import SQLiteStore

/// Reading, searching, editing, verifying and merging groups.
enum GroupRoutes {
    // MARK: - Finding

    /// `GET /v1/groups`: search and filter. The public sees verified groups' public fields;
    /// officers see every status within their scope (`status` filter, default all but merged).
    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let query = request.query
        // The sort is part of the list's identity: a cursor from one order cannot page another.
        let sortTag = query.string("sort") ?? (query.string("q") != nil ? "relevance" : query.string("near") != nil ? "distance" : "name")
        let page = try PageRequest(query, list: "groups:" + sortTag, filters: GroupSearch.filterParameters, keyLength: 2)
        let (hits, next) = try context.read { db -> ([GroupSearch.Hit], String?) in
            let search = try searchFrom(query, page: page, context: context, db: db)
            let hits = try search.run(db, after: page.after, limit: page.fetchLimit)
            let (items, next) = page.page(hits) { [$0.sortKey, .string($0.group.id)] }
            return (items, next)
        }
        let staff = Visibility.seesAll(context.principal)
        let items: [JSON] = hits.map { hit in
            var json = hit.group.json(staff ? .full : .publicView)
            if let distance = hit.distanceKm, case .object(var pairs) = json {
                pairs.append(("distance_km", .double((distance * 100).rounded() / 100)))
                json = .object(pairs)
            }
            return json
        }
        return .page(items, nextCursor: next)
    }

    static func searchFrom(_ query: Query, page: PageRequest, context: RequestContext, db: Database) throws -> GroupSearch {
        var search = GroupSearch()
        func listed(_ name: String, from terms: [Vocabulary.Term]) throws -> [String] {
            let values = query.list(name)
            let allowed = Vocabulary.values(terms)
            if let bad = values.first(where: { !allowed.contains($0) }) {
                throw Problem.badRequest("\(bad) is not a value of \(name).",
                                         errors: [FieldError(name, "must be among: \(allowed.joined(separator: ", "))")])
            }
            return values
        }
        search.text = query.string("q").map { String($0.prefix(200)) }
        search.activities = try listed("activity", from: Vocabulary.activities)
        search.beneficiaries = try listed("beneficiary", from: Vocabulary.beneficiaries)
        search.needs = try listed("needs", from: Vocabulary.needs)
        search.offers = try listed("offers", from: Vocabulary.offers)
        search.kinds = try listed("kind", from: Vocabulary.kinds)
        search.languages = query.list("language")
        if let bad = search.languages.first(where: { !Vocabulary.isLanguageCode($0) }) {
            throw Problem.badRequest("\(bad) is not a language code.", errors: [FieldError("language", "must be ISO 639 codes such as en, pl")])
        }
        search.scale = try query.oneOf("scale", Vocabulary.scales)
        search.knownToCouncil = try query.bool("known_to_council")
        search.worksWithCouncil = try query.bool("works_with_council")
        search.newlyFormed = try query.bool("newly_formed")
        search.updatedSince = page.updatedSince
        if let area = query.string("area") {
            guard let path = try Areas.subtreePath(db, id: area) else {
                throw Problem.badRequest("There is no area \(area).", errors: [FieldError("area", "is not an area")])
            }
            search.areaPath = path
        }
        if let near = query.string("near") {
            let parts = near.split(separator: ",").compactMap { Double($0) }
            guard parts.count == 2, (-90...90).contains(parts[0]), (-180...180).contains(parts[1]) else {
                throw Problem.badRequest("near must be latitude,longitude such as 51.5687,-0.0106.",
                                         errors: [FieldError("near", "must be latitude,longitude")])
            }
            search.near = (parts[0], parts[1], try query.double("radius_km", in: 0.1...100) ?? 5)
        } else if query.string("radius_km") != nil {
            throw Problem.badRequest("radius_km needs near.", errors: [FieldError("radius_km", "needs near")])
        }
        let sort = try query.oneOf("sort", GroupSearch.Sort.allCases.map(\.rawValue)).flatMap(GroupSearch.Sort.init)
        if sort == .distance && search.near == nil {
            throw Problem.badRequest("sort=distance needs near.", errors: [FieldError("sort", "distance needs near")])
        }
        if sort == .relevance && search.text == nil {
            throw Problem.badRequest("sort=relevance needs q.", errors: [FieldError("sort", "relevance needs q")])
        }
        search.sort = sort ?? (search.text != nil ? .relevance : search.near != nil ? .distance : .name)

        if Visibility.seesAll(context.principal) {
            search.scopePath = try Visibility.scopePath(context.principal, db: db)
            search.statuses = try listed("status", from: Vocabulary.statuses.map { Vocabulary.Term(value: $0, label: $0) })
            if search.statuses.isEmpty { search.statuses = ["pending", "verified", "inactive", "closed"] }
            search.possibleDuplicates = try query.bool("possible_duplicates")
        } else {
            // The public sees verified groups only; what the council knows is not a public filter.
            for field in ["status", "known_to_council", "works_with_council", "possible_duplicates"] where query.string(field) != nil {
                throw Problem.forbidden("Only council staff may filter by \(field).")
            }
        }
        return search
    }

    /// `GET /v1/groups/{id}`: a merged group answers 308 with the group it became.
    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        return try context.read { db in
            guard let group = try GroupStore.find(db, id: id) else { throw Problem.notFound("No group \(id).") }
            // A merged group points at the one it became, if the caller may see that one.
            if group.status == "merged", let target = try GroupStore.resolveMerged(db, id: id),
               let merged = try GroupStore.find(db, id: target), try Visibility.view(of: merged, for: context.principal, db: db) != nil {
                var response = Response.json(["id": .string(id), "merged_into": .string(target)], status: 308)
                response.headers.add("Location", "/v1/groups/\(target)")
                return response
            }
            guard group.status != "merged", let view = try Visibility.view(of: group, for: context.principal, db: db) else {
                throw Problem.notFound("No group \(id).")
            }
            return .resource(group.json(view), version: group.version)
        }
    }

    @Sendable static func vocabulary(_ request: Request, _ context: RequestContext) throws -> Response {
        func terms(_ list: [Vocabulary.Term]) -> JSON { .array(list.map { ["value": .string($0.value), "label": .string($0.label)] }) }
        return .json([
            "kinds": terms(Vocabulary.kinds), "activities": terms(Vocabulary.activities),
            "beneficiaries": terms(Vocabulary.beneficiaries), "needs": terms(Vocabulary.needs), "offers": terms(Vocabulary.offers),
            "scales": JSON(Vocabulary.scales), "statuses": JSON(Vocabulary.statuses), "sources": JSON(Vocabulary.sources),
        ])
    }

    // MARK: - Changing

    /// `POST /v1/groups`: an officer adds a group; it is verified unless `status` says pending.
    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = GroupDraft.read(input, audience: .officer, creating: true)
        let status = input.choice("status", from: ["pending", "verified"]) ?? "verified"
        try input.finish()
        let group = try context.write { tx in
            try Editor.create(tx, draft, source: "officer", status: status, principal: context.principal)
        }
        return .created(group.json(.full), location: "/v1/groups/\(group.id)", version: group.version)
    }

    /// `PATCH /v1/groups/{id}`: officers change anything; a group's own key changes what the survey
    /// asks (not what the council records about it).
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let audience: GroupDraft.Audience = Visibility.seesAll(context.principal) ? .officer : .survey
        let draft = GroupDraft.read(input, audience: audience, creating: false)
        try input.finish()
        let group = try context.write { tx -> Group in
            let current = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: true)
            try ETag.check(request, currentVersion: current.version)
            return try Editor.update(tx, current, with: draft, principal: context.principal)
        }
        return .resource(group.json(.full), version: group.version)
    }

    /// `POST /v1/groups/{id}/status`: verify, mark inactive, close or reopen.
    @Sendable static func changeStatus(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let status = input.choice("status", from: ["verified", "inactive", "closed"], required: true)
        try input.finish()
        guard let status else { throw Problem.internalError() }
        let group = try context.write { tx -> Group in
            let current = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: false)
            try ETag.check(request, currentVersion: current.version)
            guard current.status != status else { return current }
            try Rules.checkTransition(from: current.status, to: status)
            var group = current
            group.status = status
            if status == "verified" {
                group.verifiedAt = tx.now.rfc3339
                group.verifiedBy = context.principal?.keyId
                group.lastConfirmedAt = tx.now.rfc3339
            }
            return try Editor.save(tx, group, from: current, action: status == "verified" ? "verify" : "status")
        }
        return .resource(group.json(.full), version: group.version)
    }

    /// `POST /v1/groups/{id}/merge` with `{"into": other}`: the group is folded into the other,
    /// which keeps its own answers and gains what it lacked; the old id then points at it.
    @Sendable static func merge(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let into = input.string("into", required: true, maxLength: 60)
        try input.finish()
        guard let into else { throw Problem.internalError() }
        guard into != id else { throw Problem.invalid("into", "must be another group") }
        let merged = try context.write { tx -> Group in
            let source = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: false)
            try ETag.check(request, currentVersion: source.version)
            guard source.status != "merged" else { throw Problem.conflict("Group \(id) is already merged into \(source.mergedInto ?? "another")." ) }
            let target: Group
            do { target = try Visibility.editable(tx.db, id: into, by: context.principal, allowOwnGroup: false) } catch let problem as Problem {
                throw Problem.invalid("into", problem.status == 404 ? "is not a group you can change" : problem.detail)
            }
            guard target.status != "merged" else { throw Problem.invalid("into", "is itself merged into \(target.mergedInto ?? "another group")") }
            guard target.councilId == source.councilId else { throw Problem.invalid("into", "must be a group in the same council") }

            var combined = target
            func union(_ a: [String], _ b: [String]) -> [String] { a + b.filter { !a.contains($0) } }
            combined.operatesIn = union(target.operatesIn, source.operatesIn)
            combined.activities = union(target.activities, source.activities)
            combined.beneficiaries = union(target.beneficiaries, source.beneficiaries)
            combined.languages = union(target.languages, source.languages)
            combined.needs = union(target.needs, source.needs)
            combined.offers = union(target.offers, source.offers)
            if combined.description.isEmpty { combined.description = source.description }
            if combined.contactEmail == nil && combined.contactPhone == nil {
                combined.contactName = source.contactName
                combined.contactEmail = source.contactEmail
                combined.contactPhone = source.contactPhone
                combined.contactPublic = source.contactPublic
            }
            combined.website = combined.website ?? source.website
            combined.meetingPattern = combined.meetingPattern ?? source.meetingPattern
            combined.founded = combined.founded ?? source.founded
            combined.charityNumber = combined.charityNumber ?? source.charityNumber
            combined.companyNumber = combined.companyNumber ?? source.companyNumber
            if combined.latitude == nil { combined.latitude = source.latitude; combined.longitude = source.longitude }
            combined.knownToCouncil = target.knownToCouncil || source.knownToCouncil
            combined.worksWithCouncil = target.worksWithCouncil || source.worksWithCouncil
            combined.possibleDuplicates = target.possibleDuplicates.filter { $0 != source.id }
            let saved = try Editor.save(tx, combined, from: target, action: "merge-in")

            var retired = source
            retired.status = "merged"
            retired.mergedInto = target.id
            retired.possibleDuplicates = []
            _ = try Editor.save(tx, retired, from: source, action: "merge")
            // Groups merged into the retired one earlier now point at the one it became.
            let earlier = try tx.db.query("SELECT id FROM groups WHERE merged_into = ?", [source.id]) { $0.string(0) }
            for id in earlier {
                guard let older = try GroupStore.find(tx.db, id: id) else { continue }
                var repointed = older
                repointed.mergedInto = target.id
                repointed.updatedAt = tx.now.rfc3339
                repointed.version = older.version + 1
                try GroupStore.save(tx, repointed, isNew: false)
                try tx.audit("merge", "group", id, changes: ["merged_into"])
            }
            return saved
        }
        return .resource(merged.json(.full), version: merged.version)
    }

    /// `PUT /v1/groups/{id}/capacity`: whether the group can take new members, volunteers and
    /// beneficiaries right now. The whole capacity is replaced.
    @Sendable static func capacity(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        let input = try Input.object(from: request)
        let members = input.bool("accepting_members")
        let volunteers = input.bool("accepting_volunteers")
        let beneficiaries = input.bool("accepting_beneficiaries")
        let note = input.string("note", maxLength: 500)
        try input.finish()
        let group = try context.write { tx -> Group in
            let current = try Visibility.editable(tx.db, id: id, by: context.principal, allowOwnGroup: true)
            try ETag.check(request, currentVersion: current.version)
            var group = current
            group.capacity = Group.Capacity(acceptingMembers: members, acceptingVolunteers: volunteers,
                                            acceptingBeneficiaries: beneficiaries, note: note, updatedAt: current.capacity.updatedAt)
            guard group.capacity != current.capacity else { return current }
            group.capacity.updatedAt = tx.now.rfc3339
            return try Editor.save(tx, group, from: current, action: "update")
        }
        return .resource(group.json(.full), version: group.version)
    }

    // MARK: - Mutual support

    /// `GET /v1/groups/{id}/matches?direction=needs|offers`: for what a group needs, the verified
    /// groups that offer it (or, for its offers, the groups that need them), nearest first.
    @Sendable static func matches(_ request: Request, _ context: RequestContext) throws -> Response {
        let id = request.parameter("id")
        try request.query.allowOnly(["direction", "limit"])
        let direction = try request.query.oneOf("direction", ["needs", "offers"]) ?? "needs"
        let limit = try request.query.int("limit", in: 1...PageRequest.maxLimit) ?? PageRequest.defaultLimit
        return try context.read { db in
            guard let group = try GroupStore.find(db, id: id),
                  try Visibility.view(of: group, for: context.principal, db: db) != nil else {
                throw Problem.notFound("No group \(id).")
            }
            // need → the offers that meet it (and the reverse).
            var wanted: [String: [String]] = [:]
            if direction == "needs" {
                for need in group.needs { for offer in Vocabulary.needMetBy[need] ?? [] { wanted[offer, default: []].append(need) } }
            } else {
                for offer in group.offers {
                    for (need, offers) in Vocabulary.needMetBy where offers.contains(offer) { wanted[need, default: []].append(offer) }
                }
            }
            guard !wanted.isEmpty else { return .json(["data": .array([]), "next_cursor": .null]) }
            // Within the group's council; nearest first where both have a place, then same area, then by name.
            var search = GroupSearch()
            search.excludeId = group.id
            if direction == "needs" { search.offers = Array(wanted.keys) } else { search.needs = Array(wanted.keys) }
            if let council = group.councilId, let path = try Areas.subtreePath(db, id: council) { search.areaPath = path }
            let candidates = try search.run(db, after: nil, limit: 5000).map(\.group)
            let ranked = candidates.map { other -> (Group, Double?) in
                guard let a = group.latitude, let b = group.longitude, let c = other.latitude, let d = other.longitude else { return (other, nil) }
                return (other, Rules.distanceKm(a, b, c, d))
            }.sorted { x, y in
                switch (x.1, y.1) {
                case let (p?, q?): return p < q
                case (.some, nil): return true
                case (nil, .some): return false
                default:
                    let (xs, ys) = (x.0.basedIn == group.basedIn, y.0.basedIn == group.basedIn)
                    return xs != ys ? xs : (x.0.name, x.0.id) < (y.0.name, y.0.id)
                }
            }.prefix(limit)
            let items: [JSON] = ranked.map { other, distance in
                let theirs = direction == "needs" ? other.offers : other.needs
                let reasons = theirs.filter { wanted[$0] != nil }.flatMap { value in
                    (wanted[value] ?? []).map { direction == "needs" ? "\($0) met by \(value)" : "\(value) met by \($0)" }
                }
                return ["group": other.json(.publicView), "reasons": JSON(reasons),
                        "distance_km": distance.map { .double(($0 * 100).rounded() / 100) } ?? .null,
                        "same_area": .bool(other.basedIn == group.basedIn)]
            }
            return .json(["data": .array(items), "next_cursor": .null])
        }
    }
}
