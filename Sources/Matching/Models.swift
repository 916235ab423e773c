import KithCore
import SQLiteStore

/// A matching scheme's settings: FAN (new arrivals with buddies) or befriending (older people).
struct Scheme: Sendable {
    var id: String
    var name: String
    var requiredChecks: [(kind: String, detail: String)]
    var defaultCapacity: Int
    var missedContactDays: Int
    var matchTargetDays: Int
    var reviewIntervalDays: Int
    var updatedAt: String
    var version: Int

    static let ids = ["fan", "befriending"]

    var json: JSON {
        ["id": .string(id), "name": .string(name),
         "required_checks": .array(requiredChecks.map { ["kind": .string($0.kind), "detail": .string($0.detail)] }),
         "default_capacity": .int(defaultCapacity), "missed_contact_days": .int(missedContactDays),
         "match_target_days": .int(matchTargetDays), "review_interval_days": .int(reviewIntervalDays),
         "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

/// What a referral asks for. `required` names the preferences that are hard rules.
struct Preferences: Sendable {
    var areaId: String?
    var languages: [String] = []
    var interests: [String] = []
    var gender: String?
    var availability: [String] = []
    var modes: [String] = []
    var accessibility: [String] = []
    var required: [String] = []

    static let requirable = ["area", "language", "gender", "mode"]
    static let slots: [String] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].flatMap { day in ["am", "pm", "eve"].map { "\(day)_\($0)" } }
    static let modes = ["visit", "phone", "video", "meet_up", "group"]

    var json: JSON {
        ["area_id": JSON(areaId), "languages": JSON(languages), "interests": JSON(interests), "gender": JSON(gender),
         "availability": JSON(availability), "modes": JSON(modes), "accessibility": JSON(accessibility), "required": JSON(required)]
    }

    init() {}

    init(json: JSON) {
        func list(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        areaId = json["area_id"]?.stringValue
        languages = list("languages")
        interests = list("interests")
        gender = json["gender"]?.stringValue
        availability = list("availability")
        modes = list("modes")
        accessibility = list("accessibility")
        required = list("required")
    }

    static func read(_ input: Input) -> Preferences {
        var p = Preferences()
        p.areaId = input.string("area_id", maxLength: 60)
        p.languages = input.strings("languages", maxCount: 20, maxLength: 3) ?? []
        p.interests = input.strings("interests", maxCount: 30, maxLength: 60) ?? []
        p.gender = input.choice("gender", from: ["female", "male"])
        p.availability = input.choices("availability", from: slots, maxCount: 21) ?? []
        p.modes = input.choices("modes", from: modes) ?? []
        p.accessibility = input.strings("accessibility", maxCount: 20, maxLength: 100) ?? []
        p.required = input.choices("required", from: requirable) ?? []
        if p.required.contains("area") && p.areaId == nil { input.fail("required", "area is required but no area_id is given") }
        if p.required.contains("language") && p.languages.isEmpty { input.fail("required", "language is required but no languages are given") }
        if p.required.contains("gender") && p.gender == nil { input.fail("required", "gender is required but no gender is given") }
        if p.required.contains("mode") && p.modes.isEmpty { input.fail("required", "mode is required but no modes are given") }
        return p
    }
}

struct Referral: Sendable {
    var id: String
    var scheme: String
    var personId: String
    var providerId: String?
    var source: String
    var sourceGroup: String?
    var needs: String
    var preferences: Preferences
    var details: JSON
    var status: String
    var referredAt: String
    var waitingSince: String
    var matchedAt: String?
    var closedAt: String?
    var closeReason: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let sources = ["self", "gp", "social_care", "group", "partner", "family", "other"]

    func json(person: JSON?, today: Timestamp) -> JSON {
        var pairs: [(String, JSON)] = [
            ("id", .string(id)), ("scheme", .string(scheme)), ("person_id", .string(personId)),
        ]
        if let person { pairs.append(("person", person)) }
        pairs += [
            ("provider_id", JSON(providerId)), ("source", .string(source)), ("source_group", JSON(sourceGroup)),
            ("needs", .string(needs)), ("preferences", preferences.json), ("details", details), ("status", .string(status)),
            ("referred_at", .string(referredAt)), ("waiting_since", .string(waitingSince)),
            ("days_waiting", status == "waiting" ? .int(Self.days(from: waitingSince, to: today)) : .null),
            ("matched_at", JSON(matchedAt)), ("closed_at", JSON(closedAt)), ("close_reason", JSON(closeReason)),
            ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)), ("version", .int(version)),
        ]
        return .object(pairs)
    }

    static func days(from: String, to: Timestamp) -> Int {
        guard let start = Timestamp(rfc3339: from) else { return 0 }
        return Int(max(0, to.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 86_400_000)
    }
}

struct Match: Sendable {
    var id: String
    var scheme: String
    var referralId: String
    var personId: String
    var volunteerId: String
    var providerId: String?
    var status: String
    var score: Int
    var reasons: [String]
    var proposedAt: String
    var introducedAt: String?
    var activeAt: String?
    var pausedAt: String?
    var endedAt: String?
    var endReason: String?
    var nextReview: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let endReasons = ["completed", "moved_away", "person_withdrew", "volunteer_withdrew", "not_compatible", "safeguarding",
                             "died", "other"]
    /// States that hold a volunteer's place.
    static let open = ["proposed", "introduced", "active", "paused"]

    func json(person: JSON?, volunteer: JSON?) -> JSON {
        ["id": .string(id), "scheme": .string(scheme), "referral_id": .string(referralId), "person_id": .string(personId),
         "person": person ?? .null, "volunteer_id": .string(volunteerId), "volunteer": volunteer ?? .null,
         "provider_id": JSON(providerId), "status": .string(status), "score": .int(score), "reasons": JSON(reasons),
         "proposed_at": .string(proposedAt), "introduced_at": JSON(introducedAt), "active_at": JSON(activeAt),
         "paused_at": JSON(pausedAt), "ended_at": JSON(endedAt), "end_reason": JSON(endReason), "next_review": JSON(nextReview),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}
