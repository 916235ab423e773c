import KithCore
import SQLiteStore

/// A Community Network: groups, services, businesses and residents of an area who agree local
/// priorities and help decide how programme money is spent.
public struct Network: Sendable {
    public var id: String
    public var name: String
    public var description: String
    public var parentId: String?
    public var councilId: String
    public var areas: [String]
    public var status: String
    public var termsOfReference: String?
    public var contactEmail: String?
    public var contactPhone: String?
    public var meetingPattern: String?
    public var decisionRule: String
    public var facilitators: [(keyId: String, role: String)]
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    static let statuses = ["forming", "active", "closed"]
    static let decisionRules = ["member_vote", "steering_group"]

    func json(staff: Bool) -> JSON {
        var pairs: [(String, JSON)] = [
            ("id", .string(id)), ("name", .string(name)), ("description", .string(description)),
            ("parent_id", JSON(parentId)), ("council_id", .string(councilId)), ("areas", JSON(areas)),
            ("status", .string(status)), ("terms_of_reference", JSON(termsOfReference)),
            ("contact", ["email": JSON(contactEmail), "phone": JSON(contactPhone)]),
            ("meeting_pattern", JSON(meetingPattern)), ("decision_rule", .string(decisionRule)),
        ]
        if staff {
            pairs.append(("facilitators", .array(facilitators.map { ["key_id": .string($0.keyId), "role": .string($0.role)] })))
        }
        pairs += [("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)), ("version", .int(version))]
        return .object(pairs)
    }
}

/// A member of a network: a group from the directory, or a local leader, business, public
/// service or resident recorded here.
struct Member: Sendable {
    var id: String
    var networkId: String
    var kind: String
    var groupId: String?
    var name: String
    var serviceKind: String?
    var contactName: String?
    var contactEmail: String?
    var contactPhone: String?
    var role: String
    var status: String
    var requestedAt: String?
    var invitedAt: String?
    var joinedAt: String?
    var leftAt: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let kinds = ["group", "local_leader", "business", "public_service", "resident"]
    static let roles = ["member", "steering", "chair", "observer"]
    static let serviceKinds = ["children_family_centre", "library", "school", "adult_learning_centre", "housing", "police",
                               "job_centre", "health", "other"]

    /// People (local leaders, residents) are named only to those who run the network; the public
    /// sees organisations by name and people as a count.
    func json(detail: Bool) -> JSON {
        let isPerson = kind == "resident" || kind == "local_leader"
        var pairs: [(String, JSON)] = [
            ("id", .string(id)), ("network_id", .string(networkId)), ("kind", .string(kind)), ("group_id", JSON(groupId)),
            ("name", detail || !isPerson ? .string(name) : .null), ("service_kind", JSON(serviceKind)),
            ("role", .string(role)), ("status", .string(status)),
        ]
        if detail {
            pairs.append(("contact", ["name": JSON(contactName), "email": JSON(contactEmail), "phone": JSON(contactPhone)]))
            pairs += [("requested_at", JSON(requestedAt)), ("invited_at", JSON(invitedAt))]
        }
        pairs += [("joined_at", JSON(joinedAt)), ("left_at", JSON(leftAt)), ("updated_at", .string(updatedAt)), ("version", .int(version))]
        return .object(pairs)
    }
}

struct Priority: Sendable {
    var id: String
    var networkId: String
    var title: String
    var description: String
    var status: String
    var isPublic: Bool
    var proposedBy: String?
    var decidedAt: String?
    var decidedBy: String?
    var votes: (for: Int, against: Int, abstain: Int)?
    var decisionNote: String?
    var links: [(kind: String, reference: String, note: String?)]
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let statuses = ["proposed", "adopted", "achieved", "dropped"]

    var json: JSON {
        ["id": .string(id), "network_id": .string(networkId), "title": .string(title), "description": .string(description),
         "status": .string(status), "public": .bool(isPublic), "proposed_by": JSON(proposedBy),
         "decision": decidedAt == nil ? .null : [
            "decided_at": JSON(decidedAt), "rule": JSON(decidedBy), "note": JSON(decisionNote),
            "votes": votes.map { ["for": .int($0.for), "against": .int($0.against), "abstain": .int($0.abstain)] } ?? .null,
         ],
         "links": .array(links.map { ["kind": .string($0.kind), "reference": .string($0.reference), "note": JSON($0.note)] }),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

struct Decision: Sendable {
    var id: String
    var networkId: String
    var title: String
    var kind: String
    var roundRef: String?
    var amountPence: Int?
    var items: [String]
    var rationale: String?
    var method: String?
    var status: String
    var outcome: String?
    var votes: (for: Int, against: Int, abstain: Int)?
    var decidedAt: String?
    var createdAt: String
    var updatedAt: String
    var version: Int
    /// Who decided, when it was not by vote (a steering group's consensus).
    var participants: [String] = []

    static let kinds = ["recommend", "rank", "allocate"]

    func json(participants: [String], conflicts: [JSON]) -> JSON {
        ["id": .string(id), "network_id": .string(networkId), "title": .string(title), "kind": .string(kind),
         "round_ref": JSON(roundRef), "amount_pence": JSON(amountPence), "items": JSON(items), "rationale": JSON(rationale),
         "method": JSON(method), "status": .string(status), "outcome": JSON(outcome),
         "votes": votes.map { ["for": .int($0.for), "against": .int($0.against), "abstain": .int($0.abstain)] } ?? .null,
         "participants": JSON(participants), "conflicts": .array(conflicts),
         "decided_at": JSON(decidedAt), "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

struct Meeting: Sendable {
    var id: String
    var networkId: String
    var title: String
    var startsAt: String
    var endsAt: String?
    var assetId: String?
    var placeNote: String?
    var agenda: String
    var minutes: String?
    var status: String
    var guests: Int
    var attendees: [String]
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let statuses = ["scheduled", "held", "cancelled"]

    /// Minutes and who attended are for members; everyone sees that a meeting happens and how
    /// many came.
    func json(memberView: Bool) -> JSON {
        var pairs: [(String, JSON)] = [
            ("id", .string(id)), ("network_id", .string(networkId)), ("title", .string(title)), ("starts_at", .string(startsAt)),
            ("ends_at", JSON(endsAt)), ("asset_id", JSON(assetId)), ("place_note", JSON(placeNote)), ("agenda", .string(agenda)),
            ("status", .string(status)),
            ("attendance", ["members": .int(attendees.count), "guests": .int(guests), "total": .int(attendees.count + guests)]),
        ]
        if memberView { pairs += [("minutes", JSON(minutes)), ("attendees", JSON(attendees))] }
        pairs += [("updated_at", .string(updatedAt)), ("version", .int(version))]
        return .object(pairs)
    }
}

struct Action: Sendable, JSONRepresentable {
    var id: String
    var networkId: String
    var meetingId: String?
    var priorityId: String?
    var description: String
    var ownerId: String?
    var dueOn: String?
    var status: String
    var doneAt: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let statuses = ["open", "done", "dropped"]

    func overdue(today: String) -> Bool { status == "open" && (dueOn.map { $0 < today } ?? false) }

    var json: JSON {
        ["id": .string(id), "network_id": .string(networkId), "meeting_id": JSON(meetingId), "priority_id": JSON(priorityId),
         "description": .string(description), "owner_id": JSON(ownerId), "due_on": JSON(dueOn), "status": .string(status),
         "done_at": JSON(doneAt), "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

struct Commitment: Sendable, JSONRepresentable {
    var id: String
    var networkId: String
    var memberId: String
    var priorityId: String?
    var action: String
    var status: String
    var dueOn: String?
    var progress: JSON
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let statuses = ["planned", "in_progress", "done", "dropped"]

    var json: JSON {
        ["id": .string(id), "network_id": .string(networkId), "member_id": .string(memberId), "priority_id": JSON(priorityId),
         "action": .string(action), "status": .string(status), "due_on": JSON(dueOn), "progress": progress,
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

struct Asset: Sendable, JSONRepresentable {
    var id: String
    var name: String
    var kind: String
    var areaId: String
    var address: String?
    var capacity: Int?
    var accessibility: [String]
    var availabilityNotes: String?
    var owner: String?
    var networkId: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let kinds = ["children_family_centre", "school", "library", "adult_learning_centre", "community_centre", "hall",
                        "place_of_worship", "shop", "park", "market", "sports_facility", "other"]

    var json: JSON {
        ["id": .string(id), "name": .string(name), "kind": .string(kind), "area_id": .string(areaId), "address": JSON(address),
         "capacity": JSON(capacity), "accessibility": JSON(accessibility), "availability_notes": JSON(availabilityNotes),
         "owner": JSON(owner), "network_id": JSON(networkId), "created_at": .string(createdAt),
         "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

struct Event: Sendable, JSONRepresentable {
    var id: String
    var title: String
    var description: String
    var organiserGroup: String?
    var organiserNetwork: String?
    var areaId: String
    var assetId: String?
    var placeNote: String?
    var startsAt: String
    var endsAt: String?
    var category: String
    var openToAll: Bool
    var capacity: Int?
    var accessibility: [String]
    var status: String
    var attendance: Int?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let categories = ["community", "culture", "sport", "food", "learning", "health", "family", "youth",
                             "older_people", "volunteering", "celebration", "meeting", "other"]

    var json: JSON {
        ["id": .string(id), "title": .string(title), "description": .string(description),
         "organiser": ["group_id": JSON(organiserGroup), "network_id": JSON(organiserNetwork)],
         "area_id": .string(areaId), "asset_id": JSON(assetId), "place_note": JSON(placeNote), "starts_at": .string(startsAt),
         "ends_at": JSON(endsAt), "category": .string(category), "open_to_all": .bool(openToAll), "capacity": JSON(capacity),
         "accessibility": JSON(accessibility), "status": .string(status), "attendance": JSON(attendance),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

/// Access features a place or event can offer.
let accessibilityFeatures = ["step_free", "accessible_toilet", "hearing_loop", "parking", "quiet_space", "baby_changing",
                             "large_print", "bsl_interpreter"]
