import Areas
import KithCore
import People
import SQLiteStore

/// Spending: venues' offers, bookings paid in credits, confirmed visits, cancellations refunded
/// by a new movement, and gifts where the scheme allows them.
enum SpendingRoutes {
    // MARK: - Offers

    /// `GET /v1/credit-offers`: public, what credits can buy; open offers still valid by default.
    @Sendable static func listOffers(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "credit-offers", filters: ["venue", "category", "include_past"], keyLength: 2)
        let category = try request.query.oneOf("category", CreditOffer.categories)
        let includePast = try request.query.bool("include_past") ?? false
        let after = try page.afterStrings()
        let rows = try context.read { db in
            try db.query("""
                SELECT \(CreditOffer.columns) FROM credit_offers o
                WHERE (?1 IS NULL OR o.venue_id = ?1) AND (?2 IS NULL OR o.category = ?2)
                  AND (?3 = 1 OR o.venue_id IN (SELECT id FROM credit_organisations WHERE active = 1))
                  AND (?3 = 1 OR (o.status = 'open' AND o.valid_to >= ?4))
                  AND (?5 IS NULL OR (o.valid_from, o.id) > (?5, ?6)) AND (?8 IS NULL OR o.updated_at >= ?8)
                ORDER BY o.valid_from, o.id LIMIT ?7
                """, [request.query.string("venue"), category, includePast, context.now.date, after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339], CreditOffer.init(row:))
        }
        let (items, next) = page.page(rows) { [.string($0.validFrom), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showOffer(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        guard let offer = try context.read({ db in try CreditOffer.find(db, id: request.parameter("id")) }) else {
            throw Problem.notFound("No offer \(request.parameter("id")).")
        }
        return .resource(offer.json, version: offer.version)
    }

    struct OfferDraft {
        var venueId: String?
        var title: String?
        var description: String?
        var category: String?
        var place: String?
        var credits: Int?
        var capacity: Int?
        var clearCapacity = false
        var validFrom: String?
        var validTo: String?
        var status: String?

        static func read(_ input: Input, creating: Bool) -> OfferDraft {
            var d = OfferDraft()
            if creating { d.venueId = input.string("venue_id", required: true, maxLength: 60) }
            d.title = input.string("title", required: creating, maxLength: 200)
            d.description = input.text("description", maxLength: 2000)
            d.category = input.choice("category", from: CreditOffer.categories, required: creating)
            d.place = input.string("place", maxLength: 300)
            d.credits = input.int("credits", required: creating, in: 1...100)
            d.capacity = input.int("capacity", in: 1...10_000)
            d.clearCapacity = input.isNull("capacity")
            d.validFrom = input.date("valid_from", required: creating)
            d.validTo = input.date("valid_to", required: creating)
            d.status = input.choice("status", from: ["open", "closed"])
            if let from = d.validFrom, let to = d.validTo, from > to { input.fail("valid_to", "must not be before valid_from") }
            return d
        }
    }

    /// `POST /v1/credit-offers`: a venue (or an officer for it) publishes an offer.
    @Sendable static func createOffer(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = OfferDraft.read(input, creating: true)
        try input.finish()
        guard let venueId = draft.venueId, let title = draft.title, let category = draft.category, let credits = draft.credits,
              let validFrom = draft.validFrom, let validTo = draft.validTo else { throw Problem.internalError() }
        let offer = try context.write { tx -> CreditOffer in
            guard let venue = try CreditOrganisation.find(tx.db, id: venueId), venue.venue, venue.active else {
                throw Problem.invalid("venue_id", "is not a venue in the scheme")
            }
            guard try CreditAccess.actsFor(context.principal, venue, db: tx.db) else {
                throw Problem.forbidden("Only \(venue.name) or an officer publishes its offers.")
            }
            let id = Identifier.make("off", at: tx.now)
            try tx.db.run("""
                INSERT INTO credit_offers(id, venue_id, title, description, category, place, credits, capacity, valid_from, valid_to, status,
                    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, venueId, title, draft.description ?? "", category, draft.place, credits, draft.capacity, validFrom, validTo,
                      draft.status ?? "open", tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "credit_offer", id, changes: ["title", "category", "credits", "capacity", "valid_from", "valid_to"])
            guard let created = try CreditOffer.find(tx.db, id: id) else { throw Problem.internalError() }
            return created
        }
        return .created(offer.json, location: "/v1/credit-offers/\(offer.id)", version: offer.version)
    }

    @Sendable static func updateOffer(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let draft = OfferDraft.read(input, creating: false)
        try input.finish()
        let offer = try context.write { tx -> CreditOffer in
            let current = try ownOffer(tx.db, id: request.parameter("id"), context: context)
            try ETag.check(request, currentVersion: current.version)
            var next = current
            if let v = draft.title { next.title = v }
            if let v = draft.description { next.description = v }
            if let v = draft.category { next.category = v }
            if let v = draft.place { next.place = v }
            if let v = draft.credits { next.credits = v }
            if let v = draft.capacity { next.capacity = v } else if draft.clearCapacity { next.capacity = nil }
            if let v = draft.validFrom { next.validFrom = v }
            if let v = draft.validTo { next.validTo = v }
            if let v = draft.status { next.status = v }
            guard next.validFrom <= next.validTo else { throw Problem.invalid("valid_to", "must not be before valid_from") }
            if let capacity = next.capacity, capacity < current.booked {
                throw Problem.invalid("capacity", "cannot be below the \(current.booked) places already booked")
            }
            let changes = [("title", next.title != current.title), ("description", next.description != current.description),
                           ("category", next.category != current.category), ("place", next.place != current.place),
                           ("credits", next.credits != current.credits), ("capacity", next.capacity != current.capacity),
                           ("valid_from", next.validFrom != current.validFrom), ("valid_to", next.validTo != current.validTo),
                           ("status", next.status != current.status)].filter(\.1).map(\.0)
            guard !changes.isEmpty else { return current }
            try tx.db.run("""
                UPDATE credit_offers SET title = ?, description = ?, category = ?, place = ?, credits = ?, capacity = ?, valid_from = ?,
                    valid_to = ?, status = ?, updated_at = ?, version = version + 1 WHERE id = ?
                """, [next.title, next.description, next.category, next.place, next.credits, next.capacity, next.validFrom, next.validTo,
                      next.status, tx.now.rfc3339, current.id])
            try tx.audit("update", "credit_offer", current.id, changes: changes)
            guard let updated = try CreditOffer.find(tx.db, id: current.id) else { throw Problem.internalError() }
            return updated
        }
        return .resource(offer.json, version: offer.version)
    }

    /// An offer whose venue the caller acts for; 404 otherwise.
    static func ownOffer(_ db: Database, id: String, context: RequestContext) throws -> CreditOffer {
        guard let offer = try CreditOffer.find(db, id: id), let venue = try CreditOrganisation.find(db, id: offer.venueId),
              try CreditAccess.actsFor(context.principal, venue, db: db) else {
            throw Problem.notFound("No offer \(id) at a venue this key acts for.")
        }
        return offer
    }

    // MARK: - Bookings

    /// `POST /v1/credit-offers/{id}/bookings`: a volunteer books (staff may book for them with
    /// `person_id`). The credits move to the venue at once; a full offer refuses the booking.
    @Sendable static func book(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.optionalObject(from: request)
        let me = CreditAccess.selfPerson(context.principal)
        let personId = input.string("person_id", required: me == nil, maxLength: 60) ?? me
        try input.finish()
        guard let personId else { throw Problem.internalError() }
        if let me, personId != me { throw Problem.invalid("person_id", "must be your own, \(me)") }
        let booking = try context.write { tx -> Booking in
            guard let offer = try CreditOffer.find(tx.db, id: request.parameter("id")) else {
                throw Problem.notFound("No offer \(request.parameter("id")).")
            }
            if me == nil {
                guard let venue = try CreditOrganisation.find(tx.db, id: offer.venueId), try CreditAccess.actsFor(context.principal, venue, db: tx.db) else {
                    throw Problem.forbidden("Volunteers book for themselves; officers and the venue may book for them.")
                }
            }
            _ = try CreditAccess.volunteer(tx.db, id: personId, for: context.principal)
            let today = tx.now.date
            let venueActive = try CreditOrganisation.find(tx.db, id: offer.venueId)?.active ?? false
            guard offer.status == "open", venueActive, offer.validFrom <= today, today <= offer.validTo else {
                throw Problem(status: 409, slug: "offer-not-open", title: "The offer is not open",
                              detail: "\(offer.title) is \(offer.status == "open" && venueActive ? "open from \(offer.validFrom) to \(offer.validTo)" : "closed").")
            }
            if let capacity = offer.capacity, offer.booked >= capacity {
                throw Problem(status: 409, slug: "offer-full", title: "The offer is full",
                              detail: "\(offer.title) is full: all \(capacity) places are booked.",
                              extensions: [("capacity", .int(capacity)), ("booked", .int(offer.booked))])
            }
            if try tx.db.scalarInt("SELECT count(*) FROM credit_bookings WHERE offer_id = ? AND person_id = ? AND status <> 'cancelled'",
                                   [offer.id, personId]) ?? 0 > 0 {
                throw Problem.conflict("\(personId) already has a place on \(offer.title).")
            }
            let id = Identifier.make("bkg", at: tx.now)
            let from = try Ledger.personAccount(tx, personId: personId)
            let to = try Ledger.organisationAccount(tx, organisationId: offer.venueId)
            let movement = try Ledger.move(tx, .spend, from: from, to: to, credits: offer.credits, source: (type: "booking", id: id))
            try tx.db.run("""
                INSERT INTO credit_bookings(id, offer_id, person_id, status, credits, movement_id, booked_at, updated_at)
                VALUES (?, ?, ?, 'booked', ?, ?, ?, ?)
                """, [id, offer.id, personId, offer.credits, movement.id, tx.now.rfc3339, tx.now.rfc3339])
            try tx.audit("create", "credit_booking", id, changes: ["offer_id", "person_id", "credits"])
            guard let booking = try Booking.find(tx.db, id: id) else { throw Problem.internalError() }
            return booking
        }
        return .created(booking.json, location: "/v1/bookings/\(booking.id)", version: booking.version)
    }

    /// `GET /v1/credit-offers/{id}/bookings`: who is booked and who came (the venue and staff).
    @Sendable static func listBookings(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "credit-bookings", filters: ["status"], keyLength: 2)
        let status = try request.query.oneOf("status", ["booked", "attended", "cancelled"])
        let after = try page.afterStrings()
        let rows = try context.read { db -> [Booking] in
            let offer = try ownOffer(db, id: request.parameter("id"), context: context)
            return try db.query("""
                SELECT \(Booking.columns) FROM credit_bookings WHERE offer_id = ?1 AND (?2 IS NULL OR status = ?2)
                  AND (?3 IS NULL OR (booked_at, id) > (?3, ?4)) AND (?6 IS NULL OR updated_at >= ?6)
                ORDER BY booked_at, id LIMIT ?5
                """, [offer.id, status, after?.first, after?.last, page.fetchLimit, page.updatedSince?.rfc3339], Booking.init(row:))
        }
        let (items, next) = page.page(rows) { [.string($0.bookedAt), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    @Sendable static func showBooking(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        let booking = try context.read { db in try visibleBooking(db, id: request.parameter("id"), context: context).booking }
        return .resource(booking.json, version: booking.version)
    }

    /// A booking the caller may see: their own, or one at a venue they act for.
    static func visibleBooking(_ db: Database, id: String, context: RequestContext) throws -> (booking: Booking, venueSide: Bool) {
        guard let booking = try Booking.find(db, id: id), let offer = try CreditOffer.find(db, id: booking.offerId),
              let venue = try CreditOrganisation.find(db, id: offer.venueId) else { throw Problem.notFound("No booking \(id).") }
        if try CreditAccess.actsFor(context.principal, venue, db: db) { return (booking, true) }
        if CreditAccess.selfPerson(context.principal) == booking.personId { return (booking, false) }
        throw Problem.notFound("No booking \(id).")
    }

    /// `POST /v1/bookings/{id}/confirm`: the venue confirms the visit; a person's first visit to
    /// the venue is recorded as such.
    @Sendable static func confirm(_ request: Request, _ context: RequestContext) throws -> Response {
        try Input.optionalObject(from: request).finish()
        let booking = try context.write { tx -> Booking in
            let (booking, venueSide) = try visibleBooking(tx.db, id: request.parameter("id"), context: context)
            guard venueSide else { throw Problem.forbidden("The venue confirms a visit.") }
            try ETag.check(request, currentVersion: booking.version)
            guard booking.status == "booked" else { throw Problem.conflict("This booking is \(booking.status).") }
            let earlier = try tx.db.scalarInt("""
                SELECT count(*) FROM credit_bookings b JOIN credit_offers o ON o.id = b.offer_id
                WHERE b.person_id = ? AND b.status = 'attended' AND o.venue_id = (SELECT venue_id FROM credit_offers WHERE id = ?)
                """, [booking.personId, booking.offerId]) ?? 0
            try tx.db.run("""
                UPDATE credit_bookings SET status = 'attended', first_visit = ?, decided_at = ?, updated_at = ?, version = version + 1 WHERE id = ?
                """, [earlier == 0, tx.now.rfc3339, tx.now.rfc3339, booking.id])
            try tx.audit("confirm", "credit_booking", booking.id, changes: ["status", "first_visit"])
            guard let confirmed = try Booking.find(tx.db, id: booking.id) else { throw Problem.internalError() }
            return confirmed
        }
        return .resource(booking.json, version: booking.version)
    }

    /// `POST /v1/bookings/{id}/cancel`: the person or the venue cancels before the visit; the
    /// credits come back by a refund movement (the spend stays in the ledger).
    @Sendable static func cancel(_ request: Request, _ context: RequestContext) throws -> Response {
        try Input.optionalObject(from: request).finish()
        let booking = try context.write { tx -> Booking in
            let (booking, _) = try visibleBooking(tx.db, id: request.parameter("id"), context: context)
            try ETag.check(request, currentVersion: booking.version)
            guard booking.status == "booked" else { throw Problem.conflict("Only a booking not yet used can be cancelled; this one is \(booking.status).") }
            guard let spend = try Ledger.findMovement(tx.db, id: booking.movementId) else { throw Problem.internalError() }
            let refund = try Ledger.move(tx, .refund, from: spend.to, to: spend.from, credits: booking.credits,
                                         source: (type: "booking", id: booking.id), reason: "booking cancelled")
            try tx.db.run("""
                UPDATE credit_bookings SET status = 'cancelled', refund_movement_id = ?, decided_at = ?, updated_at = ?, version = version + 1
                WHERE id = ?
                """, [refund.id, tx.now.rfc3339, tx.now.rfc3339, booking.id])
            try tx.audit("cancel", "credit_booking", booking.id, changes: ["status"])
            guard let cancelled = try Booking.find(tx.db, id: booking.id) else { throw Problem.internalError() }
            return cancelled
        }
        return .resource(booking.json, version: booking.version)
    }

    // MARK: - Gifts

    /// `POST /v1/credit-gifts`: a volunteer gives credits to another person or a group's
    /// organisation, only where the scheme allows gifts (off by default).
    @Sendable static func gift(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let me = CreditAccess.selfPerson(context.principal)
        let fromPerson = input.string("from_person_id", required: me == nil, maxLength: 60) ?? me
        let toPerson = input.string("to_person_id", maxLength: 60)
        let toOrganisation = input.string("to_organisation_id", maxLength: 60)
        if (toPerson == nil) == (toOrganisation == nil) { input.fail("to_person_id", "give exactly one of to_person_id and to_organisation_id") }
        let credits = input.int("credits", required: true, in: 1...1000)
        let note = input.string("note", maxLength: 300)
        try input.finish()
        guard let fromPerson, let credits else { throw Problem.internalError() }
        if let me, fromPerson != me { throw Problem.invalid("from_person_id", "must be your own, \(me)") }
        if toPerson == fromPerson { throw Problem.invalid("to_person_id", "must be someone else") }
        let movement = try context.write { tx -> Ledger.Movement in
            guard try CreditSettings.load(tx.db).giftingAllowed else {
                throw Problem(status: 403, slug: "gifting-disabled", title: "Gifts are off",
                              detail: "This scheme does not allow gifting credits; an admin can turn it on in /v1/credit-settings.")
            }
            _ = try CreditAccess.volunteer(tx.db, id: fromPerson, for: context.principal, field: "from_person_id")
            guard let from = try Ledger.findAccount(tx.db, personId: fromPerson) else {
                throw Problem(status: 409, slug: "insufficient-credits", title: "Not enough credits", detail: "\(fromPerson) has no credits yet.",
                              extensions: [("balance", .int(0)), ("needed", .int(credits))])
            }
            let to: String
            if let toPerson {
                guard let person = try PeopleDirectory.find(tx.db, id: toPerson), person.erasedAt == nil else {
                    throw Problem.invalid("to_person_id", "is not a person")
                }
                to = try Ledger.personAccount(tx, personId: person.id)
            } else {
                guard let organisationId = toOrganisation, try CreditOrganisation.find(tx.db, id: organisationId)?.active == true else {
                    throw Problem.invalid("to_organisation_id", "is not an organisation in the scheme")
                }
                to = try Ledger.organisationAccount(tx, organisationId: organisationId)
            }
            return try Ledger.move(tx, .gift, from: from.id, to: to, credits: credits,
                                   source: (type: "gift", id: Identifier.make("gft", at: tx.now)), reason: note)
        }
        return .json(movement.json, status: 201)
    }
}
