import KithCore
import SQLiteStore

/// The scheme's rules.
struct CreditSettings {
    var maxHoursPerDay: Int
    var giftingAllowed: Bool
    var expiryMonths: Int?
    /// Schemes (`fan`, `befriending`) whose logged contacts earn the volunteer credits.
    var contactCredits: [String]
    var updatedAt: String
    var version: Int

    static let schemes = ["fan", "befriending"]

    var json: JSON {
        ["max_hours_per_day": .int(maxHoursPerDay), "gifting_allowed": .bool(giftingAllowed), "expiry_months": JSON(expiryMonths),
         "contact_credits": JSON(contactCredits), "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func load(_ db: Database) throws -> CreditSettings {
        guard let settings = try db.queryOne("""
            SELECT max_hours_per_day, gifting_allowed, expiry_months, contact_credits, updated_at, version FROM credit_settings WHERE id = 1
            """, [], { row in
                CreditSettings(maxHoursPerDay: row.int(0), giftingAllowed: row.bool(1), expiryMonths: row.optionalInt(2),
                               contactCredits: (try? JSON.parse(row.string(3)))?.arrayValue?.compactMap(\.stringValue) ?? [],
                               updatedAt: row.string(4), version: row.int(5))
            }) else { throw Problem.internalError() }
        return settings
    }
}

/// An organisation in the scheme: where volunteers earn, a venue where credits are spent, or both.
struct CreditOrganisation {
    var id: String
    var name: String
    var earns: Bool
    var venue: Bool
    var groupId: String?
    var areaId: String?
    var active: Bool
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let columns = "id, name, earns, venue, group_id, area_id, active, created_at, updated_at, version"

    init(row: Row) {
        id = row.string(0); name = row.string(1); earns = row.bool(2); venue = row.bool(3); groupId = row.optionalString(4)
        areaId = row.optionalString(5); active = row.bool(6); createdAt = row.string(7); updatedAt = row.string(8); version = row.int(9)
    }

    var json: JSON {
        ["id": .string(id), "name": .string(name), "earns": .bool(earns), "venue": .bool(venue), "group_id": JSON(groupId),
         "area_id": JSON(areaId), "active": .bool(active), "created_at": .string(createdAt), "updated_at": .string(updatedAt),
         "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> CreditOrganisation? {
        try db.queryOne("SELECT \(columns) FROM credit_organisations WHERE id = ?", [id], CreditOrganisation.init(row:))
    }
}

/// Hours given: recorded by the organisation, or reported by the volunteer for approval.
struct Volunteering {
    var id: String
    var personId: String
    var organisationId: String
    var onDate: String
    var halfHours: Int
    var activity: String
    var status: String
    var reportedBy: String?
    var decidedBy: String?
    var decidedAt: String?
    var declineReason: String?
    var credits: Int?
    var movementId: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let columns = """
        id, person_id, organisation_id, on_date, half_hours, activity, status, reported_by, decided_by, decided_at, decline_reason,
        credits, movement_id, created_at, updated_at, version
        """
    static let activities = ["litter_picking", "gardening", "admin_support", "befriending", "buddying", "events", "cooking",
                             "driving", "fundraising", "teaching", "sport_coaching", "care_home_visits", "other"]

    init(row: Row) {
        id = row.string(0); personId = row.string(1); organisationId = row.string(2); onDate = row.string(3); halfHours = row.int(4)
        activity = row.string(5); status = row.string(6); reportedBy = row.optionalString(7); decidedBy = row.optionalString(8)
        decidedAt = row.optionalString(9); declineReason = row.optionalString(10); credits = row.optionalInt(11)
        movementId = row.optionalString(12); createdAt = row.string(13); updatedAt = row.string(14); version = row.int(15)
    }

    var json: JSON {
        ["id": .string(id), "person_id": .string(personId), "organisation_id": .string(organisationId), "on_date": .string(onDate),
         "hours": .double(Double(halfHours) / 2), "activity": .string(activity), "status": .string(status),
         "reported_by": JSON(reportedBy), "decided_by": JSON(decidedBy), "decided_at": JSON(decidedAt),
         "decline_reason": JSON(declineReason), "credits": JSON(credits), "movement_id": JSON(movementId),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Volunteering? {
        try db.queryOne("SELECT \(columns) FROM volunteering WHERE id = ?", [id], Volunteering.init(row:))
    }
}

/// Something a venue offers for credits.
struct CreditOffer {
    var id: String
    var venueId: String
    var title: String
    var description: String
    var category: String
    var place: String?
    var credits: Int
    var capacity: Int?
    var validFrom: String
    var validTo: String
    var status: String
    var createdAt: String
    var updatedAt: String
    var version: Int
    /// Places taken (bookings not cancelled), visits confirmed, and first visits to the venue.
    var booked = 0
    var attended = 0
    var firstVisits = 0

    static let categories = ["theatre", "cinema", "leisure", "swimming", "museum", "course", "outing", "other"]
    static let columns = """
        o.id, o.venue_id, o.title, o.description, o.category, o.place, o.credits, o.capacity, o.valid_from, o.valid_to, o.status,
        o.created_at, o.updated_at, o.version,
        (SELECT count(*) FROM credit_bookings b WHERE b.offer_id = o.id AND b.status <> 'cancelled'),
        (SELECT count(*) FROM credit_bookings b WHERE b.offer_id = o.id AND b.status = 'attended'),
        (SELECT count(*) FROM credit_bookings b WHERE b.offer_id = o.id AND b.first_visit = 1)
        """

    init(row: Row) {
        id = row.string(0); venueId = row.string(1); title = row.string(2); description = row.string(3); category = row.string(4)
        place = row.optionalString(5); credits = row.int(6); capacity = row.optionalInt(7); validFrom = row.string(8)
        validTo = row.string(9); status = row.string(10); createdAt = row.string(11); updatedAt = row.string(12); version = row.int(13)
        booked = row.int(14); attended = row.int(15); firstVisits = row.int(16)
    }

    var json: JSON {
        ["id": .string(id), "venue_id": .string(venueId), "title": .string(title), "description": .string(description),
         "category": .string(category), "place": JSON(place), "credits": .int(credits), "capacity": JSON(capacity),
         "places_left": capacity.map { .int(max(0, $0 - booked)) } ?? .null, "valid_from": .string(validFrom),
         "valid_to": .string(validTo), "status": .string(status), "booked": .int(booked), "attended": .int(attended),
         "first_visits": .int(firstVisits), "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> CreditOffer? {
        try db.queryOne("SELECT \(columns) FROM credit_offers o WHERE o.id = ?", [id], CreditOffer.init(row:))
    }
}

struct Booking {
    var id: String
    var offerId: String
    var personId: String
    var status: String
    var credits: Int
    var movementId: String
    var refundMovementId: String?
    var firstVisit: Bool?
    var bookedAt: String
    var decidedAt: String?
    var updatedAt: String
    var version: Int

    static let columns = """
        id, offer_id, person_id, status, credits, movement_id, refund_movement_id, first_visit, booked_at, decided_at, updated_at, version
        """

    init(row: Row) {
        id = row.string(0); offerId = row.string(1); personId = row.string(2); status = row.string(3); credits = row.int(4)
        movementId = row.string(5); refundMovementId = row.optionalString(6); firstVisit = row.optionalInt(7).map { $0 == 1 }
        bookedAt = row.string(8); decidedAt = row.optionalString(9); updatedAt = row.string(10); version = row.int(11)
    }

    var json: JSON {
        ["id": .string(id), "offer_id": .string(offerId), "person_id": .string(personId), "status": .string(status),
         "credits": .int(credits), "movement_id": .string(movementId), "refund_movement_id": JSON(refundMovementId),
         "first_visit": JSON(firstVisit), "booked_at": .string(bookedAt), "decided_at": JSON(decidedAt),
         "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Booking? {
        try db.queryOne("SELECT \(columns) FROM credit_bookings WHERE id = ?", [id], Booking.init(row:))
    }
}
