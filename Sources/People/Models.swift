import KithCore

/// One person across modules: a volunteer, a new arrival, an older person being befriended.
public struct Person: Sendable {
    public var id: String
    public var fullName: String?
    public var preferredName: String?
    public var email: String?
    public var phone: String?
    public var address: String?
    public var postcode: String?
    public var areaId: String?
    public var languages: [String]
    public var dateOfBirth: String?
    public var ageBand: String?
    public var gender: String?
    public var roles: [String]
    public var providerId: String?
    public var notes: String?
    public var erasedAt: String?
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    public static let roleNames = ["volunteer", "new_arrival", "befriendee", "referrer"]
    public static let ageBands = ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_84", "85_plus"]
    public static let genders = ["female", "male", "non_binary", "other", "prefer_not_to_say"]

    /// How much of a person a caller sees.
    public enum View: Sendable {
        /// Those who run the person's scheme: everything.
        case full
        /// The person's own volunteer key: everything but the staff's notes about them.
        case own
        /// A volunteer matched with the person: a first name and what matching needs.
        case matched
    }

    /// The age band now, from the date of birth when there is one.
    public func currentAgeBand(today: String) -> String? {
        guard let dateOfBirth, dateOfBirth.count == 10, let born = Int(dateOfBirth.prefix(4)), let year = Int(today.prefix(4)) else {
            return ageBand
        }
        var age = year - born
        if today.dropFirst(5) < dateOfBirth.dropFirst(5) { age -= 1 }
        return Self.band(forAge: age)
    }

    public static func band(forAge age: Int) -> String {
        switch age {
        case ..<18: "under_18"
        case 18...24: "18_24"
        case 25...34: "25_34"
        case 35...44: "35_44"
        case 45...54: "45_54"
        case 55...64: "55_64"
        case 65...74: "65_74"
        case 75...84: "75_84"
        default: "85_plus"
        }
    }

    public func json(_ view: View, today: String) -> JSON {
        let displayName = preferredName ?? fullName.flatMap { $0.split(separator: " ").first.map(String.init) }
        var pairs: [(String, JSON)] = [("id", .string(id))]
        switch view {
        case .full, .own:
            pairs += [
                ("full_name", JSON(fullName)), ("preferred_name", JSON(preferredName)), ("email", JSON(email)), ("phone", JSON(phone)),
                ("address", JSON(address)), ("postcode", JSON(postcode)), ("area_id", JSON(areaId)), ("languages", JSON(languages)),
                ("date_of_birth", JSON(dateOfBirth)), ("age_band", JSON(currentAgeBand(today: today))), ("gender", JSON(gender)),
                ("roles", JSON(roles)), ("provider_id", JSON(providerId)), ("notes", view == .full ? JSON(notes) : .null),
                ("erased_at", JSON(erasedAt)),
            ]
        case .matched:
            pairs += [("name", JSON(displayName)), ("area_id", JSON(areaId)), ("languages", JSON(languages)),
                      ("age_band", JSON(currentAgeBand(today: today)))]
        }
        pairs += [("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)), ("version", .int(version))]
        return .object(pairs)
    }
}

/// A volunteer's DBS check, reference or training, and when it runs out.
public struct Check: Sendable {
    public var id: String
    public var personId: String
    public var kind: String
    public var detail: String
    public var status: String
    public var issuedOn: String?
    public var expiresOn: String?
    public var certificate: String?
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    public static let kinds = ["dbs", "reference", "training"]
    public static let statuses = ["pending", "clear", "failed"]
    public static let dbsLevels = ["basic", "standard", "enhanced", "enhanced_barred"]

    /// Clear and not past its expiry on `today` (YYYY-MM-DD).
    public func isValid(on today: String) -> Bool {
        status == "clear" && (expiresOn.map { $0 > today } ?? true)
    }

    /// Does this check meet a scheme's requirement (`kind` and `detail`, where an enhanced DBS
    /// also meets a basic or standard requirement, and `any` matches any detail)?
    public func meets(kind requiredKind: String, detail requiredDetail: String) -> Bool {
        guard kind == requiredKind else { return false }
        if requiredDetail == "any" { return true }
        if kind == "dbs" {
            let order = Self.dbsLevels
            guard let have = order.firstIndex(of: detail), let need = order.firstIndex(of: requiredDetail) else { return false }
            return have >= need
        }
        return detail == requiredDetail
    }

    /// Expiry rules: a DBS check is renewed every 3 years, safeguarding training every 3 years,
    /// other training every 2; references and an induction do not expire.
    public static func expiry(kind: String, detail: String, issuedOn: String?) -> String? {
        guard let issuedOn, let year = Int(issuedOn.prefix(4)) else { return nil }
        let years: Int? = switch (kind, detail) {
        case ("dbs", _): 3
        case ("training", "safeguarding"): 3
        case ("training", "befriending_induction"): nil
        case ("training", _): 2
        default: nil
        }
        guard let years else { return nil }
        // Dates are always `YYYY-MM-DD`: pad early years, and a check issued in the last years of
        // 9999 runs out on its last day rather than in a five-digit year.
        guard year + years <= 9999 else { return "9999-12-31" }
        let expiryYear = String(year + years)
        var date = String(repeating: "0", count: 4 - expiryYear.count) + expiryYear + issuedOn.dropFirst(4)
        if date.hasSuffix("-02-29") { date = String(date.dropLast(2)) + "28" }
        return date
    }

    public func json(showCertificate: Bool, today: String) -> JSON {
        ["id": .string(id), "person_id": .string(personId), "kind": .string(kind), "detail": .string(detail),
         "status": .string(status), "issued_on": JSON(issuedOn), "expires_on": JSON(expiresOn),
         "valid": .bool(isValid(on: today)), "certificate": showCertificate ? JSON(certificate) : .null,
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}
