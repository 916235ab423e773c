import Foundation
import KithCore

/// A voluntary or community group on the map.
public struct Group: Sendable {
    public var id: String
    public var name: String
    public var description: String
    public var kind: String
    public var basedIn: String?
    public var councilId: String?
    public var operatesIn: [String]
    public var activities: [String]
    public var beneficiaries: [String]
    public var languages: [String]
    public var needs: [String]
    public var offers: [String]
    public var contactName: String?
    public var contactEmail: String?
    public var contactPhone: String?
    public var contactPublic: Bool
    public var website: String?
    public var meetingPattern: String?
    public var volunteers: Int?
    public var peoplePerWeek: Int?
    public var founded: String?
    public var newlyFormed: Bool
    public var knownToCouncil: Bool
    public var worksWithCouncil: Bool
    public var scale: String?
    public var openToAll: Bool
    public var source: String
    public var externalSystem: String?
    public var externalId: String?
    public var status: String
    public var mergedInto: String?
    public var possibleDuplicates: [String]
    public var latitude: Double?
    public var longitude: Double?
    public var postcodeOutward: String?
    public var capacity: Capacity
    public var lastConfirmedAt: String
    public var verifiedAt: String?
    public var verifiedBy: String?
    public var createdAt: String
    public var updatedAt: String
    public var version: Int
    public var charityNumber: String? = nil
    public var companyNumber: String? = nil

    /// One identity across Open Referral and 360Giving.
    public var organisationIdentifier: String {
        Rules.organisationIdentifier(charityNumber: charityNumber, companyNumber: companyNumber, groupId: id)
    }

    /// Whether the group can take new people now: kept current by the group (Open Referral lacks it).
    public struct Capacity: Sendable, Equatable {
        public var acceptingMembers: Bool?
        public var acceptingVolunteers: Bool?
        public var acceptingBeneficiaries: Bool?
        public var note: String?
        public var updatedAt: String?

        var json: JSON {
            ["accepting_members": JSON(acceptingMembers), "accepting_volunteers": JSON(acceptingVolunteers),
             "accepting_beneficiaries": JSON(acceptingBeneficiaries), "note": JSON(note), "updated_at": JSON(updatedAt)]
        }
    }

    /// Who is looking decides what they see.
    public enum View: Sendable {
        /// The public and partner systems: public fields only; contact details only if the
        /// group agreed to publish them.
        case publicView
        /// Council staff and the group itself: everything.
        case full
    }

    /// Lists in the order the store returns them, so a response after a write matches a later read.
    mutating func sortFacets() {
        operatesIn.sort(); activities.sort(); beneficiaries.sort(); languages.sort(); needs.sort(); offers.sort()
    }

    public func json(_ view: View) -> JSON {
        var pairs: [(String, JSON)] = [
            ("id", .string(id)), ("name", .string(name)), ("description", .string(description)), ("kind", .string(kind)),
            ("organisation_identifier", .string(organisationIdentifier)),
            ("charity_number", JSON(charityNumber)), ("company_number", JSON(companyNumber)),
            ("based_in", JSON(basedIn)), ("council_id", JSON(councilId)), ("operates_in", JSON(operatesIn)),
            ("activities", JSON(activities)), ("beneficiaries", JSON(beneficiaries)), ("languages", JSON(languages)),
            ("needs", JSON(needs)), ("offers", JSON(offers)),
        ]
        let showContact = view == .full || contactPublic
        pairs.append(("contact", showContact
            ? ["name": JSON(contactName), "email": JSON(contactEmail), "phone": JSON(contactPhone), "public": .bool(contactPublic)]
            : .null))
        pairs += [
            ("website", JSON(website)), ("meeting_pattern", JSON(meetingPattern)),
            ("size", ["volunteers": JSON(volunteers), "people_per_week": JSON(peoplePerWeek)]),
            ("founded", JSON(founded)), ("newly_formed", .bool(newlyFormed)), ("scale", JSON(scale)),
            ("open_to_all", .bool(openToAll)),
            ("location", latitude.map { lat in ["latitude": .double(lat), "longitude": JSON(longitude)] } ?? .null),
            ("postcode_outward", JSON(postcodeOutward)), ("capacity", capacity.json),
        ]
        if view == .full {
            pairs += [
                ("known_to_council", .bool(knownToCouncil)), ("works_with_council", .bool(worksWithCouncil)),
                ("source", .string(source)), ("external_system", JSON(externalSystem)), ("external_id", JSON(externalId)),
                ("status", .string(status)), ("merged_into", JSON(mergedInto)), ("possible_duplicates", JSON(possibleDuplicates)),
                ("verified_at", JSON(verifiedAt)), ("verified_by", JSON(verifiedBy)),
            ]
        }
        pairs += [("last_confirmed_at", .string(lastConfirmedAt)), ("created_at", .string(createdAt)),
                  ("updated_at", .string(updatedAt)), ("version", .int(version))]
        return .object(pairs)
    }
}

/// The fields a caller sets: from the survey, an officer, a partner system or a CSV row.
/// Absent fields stay nil (on update: unchanged); `clear` names fields sent as null.
struct GroupDraft {
    var name: String?
    var description: String?
    var kind: String?
    var basedIn: String?
    var operatesIn: [String]?
    var activities: [String]?
    var beneficiaries: [String]?
    var languages: [String]?
    var needs: [String]?
    var offers: [String]?
    var contactName: String?
    var contactEmail: String?
    var contactPhone: String?
    var contactPublic: Bool?
    var website: String?
    var meetingPattern: String?
    var volunteers: Int?
    var peoplePerWeek: Int?
    var founded: String?
    var newlyFormed: Bool?
    var knownToCouncil: Bool?
    var worksWithCouncil: Bool?
    var scale: String?
    var openToAll: Bool?
    var latitude: Double?
    var longitude: Double?
    var postcodeOutward: String?
    var charityNumber: String?
    var companyNumber: String?
    var externalId: String?
    /// Optional fields sent as `null`: cleared on update.
    var clear: Set<String> = []

    /// Which fields each kind of caller may set.
    enum Audience {
        /// The anonymous survey: what a group says about itself.
        case survey
        /// Officers and admins: everything, including what the council knows.
        case officer
        /// Partner systems doing mapping fieldwork: the survey's fields plus their own id.
        case partner
    }

    static let nullable: Set<String> = [
        "description", "website", "meeting_pattern", "founded", "scale", "location", "postcode_outward",
        "charity_number", "company_number",
    ]

    /// Reads a group from `input`; `creating` makes name, kind and based_in required.
    static func read(_ input: Input, audience: Audience, creating: Bool) -> GroupDraft {
        var draft = GroupDraft()
        draft.name = input.string("name", required: creating, maxLength: 200)
        draft.description = input.text("description", maxLength: 5000)
        draft.kind = input.choice("kind", from: Vocabulary.values(Vocabulary.kinds), required: creating)
        draft.basedIn = input.string("based_in", required: creating, maxLength: 60)
        draft.operatesIn = input.strings("operates_in", maxCount: 50, maxLength: 60)
        draft.activities = input.choices("activities", from: Vocabulary.values(Vocabulary.activities))
        draft.beneficiaries = input.choices("beneficiaries", from: Vocabulary.values(Vocabulary.beneficiaries))
        if let languages = input.strings("languages", maxCount: 30, maxLength: 3) {
            for (i, code) in languages.enumerated() where !Vocabulary.isLanguageCode(code) {
                input.fail("languages[\(i)]", "must be an ISO 639 language code such as en, pl, ur")
            }
            draft.languages = languages
        }
        draft.needs = input.choices("needs", from: Vocabulary.values(Vocabulary.needs))
        draft.offers = input.choices("offers", from: Vocabulary.values(Vocabulary.offers))
        if let contact = input.object("contact") {
            draft.contactName = contact.string("name", maxLength: 120)
            draft.contactEmail = contact.email("email")
            draft.contactPhone = contact.phone("phone")
            draft.contactPublic = contact.bool("public")
            for field in ["name", "email", "phone"] where contact.isNull(field) { draft.clear.insert("contact.\(field)") }
        } else if input.isNull("contact") {
            draft.clear.formUnion(["contact.name", "contact.email", "contact.phone"])
        }
        draft.website = input.url("website")
        draft.meetingPattern = input.string("meeting_pattern", maxLength: 300)
        if let size = input.object("size") {
            draft.volunteers = size.int("volunteers", in: 0...1_000_000)
            draft.peoplePerWeek = size.int("people_per_week", in: 0...10_000_000)
            for field in ["volunteers", "people_per_week"] where size.isNull(field) { draft.clear.insert("size.\(field)") }
        }
        draft.founded = input.date("founded")
        draft.newlyFormed = input.bool("newly_formed")
        draft.scale = input.choice("scale", from: Vocabulary.scales)
        draft.openToAll = input.bool("open_to_all")
        if let location = input.object("location") {
            draft.latitude = location.double("latitude", required: true, in: -90...90)
            draft.longitude = location.double("longitude", required: true, in: -180...180)
        }
        if let outward = input.string("postcode_outward", maxLength: 4) {
            let code = outward.uppercased()
            if Rules.isOutwardCode(code) { draft.postcodeOutward = code } else {
                input.fail("postcode_outward", "must be the first half of a UK postcode, such as E10 or PE2")
            }
        }
        if let number = input.string("charity_number", maxLength: 11) {
            if number.range(of: #"^[0-9]{6,8}(-[0-9]{1,2})?$"#, options: .regularExpression) == nil {
                input.fail("charity_number", "must be a registered charity number such as 1123456")
            } else { draft.charityNumber = number }
        }
        if let number = input.string("company_number", maxLength: 8) {
            let upper = number.uppercased()
            if upper.range(of: #"^[A-Z0-9]{8}$"#, options: .regularExpression) == nil {
                input.fail("company_number", "must be an 8-character Companies House number such as 01234567")
            } else { draft.companyNumber = upper }
        }
        switch audience {
        case .officer:
            draft.knownToCouncil = input.bool("known_to_council")
            draft.worksWithCouncil = input.bool("works_with_council")
        case .partner:
            draft.externalId = input.string("external_id", required: true, maxLength: 100)
        case .survey:
            break
        }
        for field in nullable where input.isNull(field) { draft.clear.insert(field) }
        for field in ["name", "kind", "based_in", "operates_in", "activities", "beneficiaries", "languages", "needs", "offers",
                      "newly_formed", "open_to_all", "known_to_council", "works_with_council", "size"]
            where input.isNull(field) {
            input.fail(field, "must not be null")
        }
        return draft
    }

    /// The fields this draft changes, by their JSON names (for the audit log).
    var fieldNames: [String] {
        var names: [String] = []
        func note(_ name: String, _ value: Any?) { if value != nil || clear.contains(name) { names.append(name) } }
        note("name", name); note("description", description); note("kind", kind); note("based_in", basedIn)
        note("operates_in", operatesIn); note("activities", activities); note("beneficiaries", beneficiaries)
        note("languages", languages); note("needs", needs); note("offers", offers)
        if contactName != nil || contactEmail != nil || contactPhone != nil || contactPublic != nil
            || clear.contains(where: { $0.hasPrefix("contact.") }) { names.append("contact") }
        note("website", website); note("meeting_pattern", meetingPattern)
        if volunteers != nil || peoplePerWeek != nil || clear.contains(where: { $0.hasPrefix("size.") }) { names.append("size") }
        note("founded", founded); note("newly_formed", newlyFormed); note("known_to_council", knownToCouncil)
        note("works_with_council", worksWithCouncil); note("scale", scale); note("open_to_all", openToAll)
        if latitude != nil || clear.contains("location") { names.append("location") }
        note("postcode_outward", postcodeOutward)
        note("charity_number", charityNumber); note("company_number", companyNumber)
        return names
    }
}
