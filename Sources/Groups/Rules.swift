import Foundation
import KithCore

/// The module's checks and derivations, free of SQL and HTTP.
enum Rules {
    /// A name folded for duplicate detection: case, accents, punctuation, "the" and "&" vs "and"
    /// do not make two groups different. "The Leyton Food-Bank!" → "leyton food bank".
    static func nameKey(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        for scalar in name.lowercased().applyingTransformFolding().unicodeScalars {
            if CharacterSetLite.isAlphanumeric(scalar) {
                current.unicodeScalars.append(scalar)
            } else {
                if scalar == "&" { words.append(current); current = "and" }
                if !current.isEmpty { words.append(current) }
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.filter { !$0.isEmpty && $0 != "the" }.joined(separator: " ")
    }

    static func emailKey(_ email: String?) -> String? { email.map { $0.lowercased() } }

    /// The digits of a phone number, with a UK +44 prefix folded to 0.
    static func phoneKey(_ phone: String?) -> String? {
        guard let phone else { return nil }
        var digits = phone.filter(\.isASCII).filter(\.isNumber)
        if digits.hasPrefix("44") && phone.trimmingCharacters(in: .whitespaces).hasPrefix("+") { digits = "0" + digits.dropFirst(2) }
        return digits.count >= 6 ? digits : nil
    }

    /// The outward half of a UK postcode: A9, A99, AA9, AA99, A9A, AA9A.
    static func isOutwardCode(_ code: String) -> Bool {
        let c = Array(code.utf8)
        func letter(_ i: Int) -> Bool { i < c.count && (65...90).contains(c[i]) }
        func digit(_ i: Int) -> Bool { i < c.count && (48...57).contains(c[i]) }
        switch c.count {
        case 2: return letter(0) && digit(1)
        case 3: return letter(0) && ((digit(1) && (digit(2) || letter(2))) || (letter(1) && digit(2)))
        case 4: return letter(0) && letter(1) && digit(2) && (digit(3) || letter(3))
        default: return false
        }
    }

    /// Which status changes an officer may make.
    static let transitions: [String: Set<String>] = [
        "pending": ["verified", "closed"],
        "verified": ["inactive", "closed"],
        "inactive": ["verified", "closed"],
        "closed": ["verified"],
        "merged": [],
    ]

    static func checkTransition(from: String, to: String) throws {
        guard transitions[from]?.contains(to) == true else {
            let allowed = transitions[from].map { $0.sorted().joined(separator: ", ") } ?? ""
            throw Problem.conflict("A \(from) group cannot become \(to)"
                + (allowed.isEmpty ? "." : "; it can become: \(allowed)."))
        }
    }

    /// The organisation identifier shared by the Open Referral feed and the Funding module's
    /// 360Giving feed: org-id.guide style, from a registration number where there is one.
    static func organisationIdentifier(charityNumber: String?, companyNumber: String?, groupId: String) -> String {
        if let charityNumber, !charityNumber.isEmpty { return "GB-CHC-\(charityNumber)" }
        if let companyNumber, !companyNumber.isEmpty { return "GB-COH-\(companyNumber)" }
        return "XI-KITH-\(groupId)"
    }

    /// Great-circle distance in kilometres (haversine), the same formula the search uses in SQL.
    static func distanceKm(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let radians = Double.pi / 180
        let a = pow(sin((lat2 - lat1) * radians / 2), 2) + cos(lat1 * radians) * cos(lat2 * radians) * pow(sin((lon2 - lon1) * radians / 2), 2)
        return 6371 * 2 * asin(min(1, sqrt(a)))
    }

    /// Yearly re-confirmation: a verified group is due when its details were last confirmed a year
    /// ago or more.
    static let confirmationIntervalSeconds: Int64 = 365 * 86_400
}

/// Unicode letter/digit tests without Foundation.
enum CharacterSetLite {
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}

extension String {
    /// Drops accents: "café" → "cafe".
    func applyingTransformFolding() -> String {
        folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
    }
}
