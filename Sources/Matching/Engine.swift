import Areas
import KithCore
import People
import SQLiteStore

/// The matching engine both schemes use: which volunteers may be matched with a referred person,
/// and how well each fits, with the reasons for every point.
///
/// Hard rules are never broken: the volunteer's checks are all clear and current, they have room
/// (open matches below their capacity), they belong to the referral's provider when it has one,
/// and every preference the referral marks as required (area, language, gender, mode) is met.
enum Engine {
    struct Candidate {
        var volunteerId: String
        var score: Int
        var reasons: [String]
        var volunteer: Person
    }

    struct Exclusion {
        var volunteerId: String
        var reasons: [String]
    }

    static func evaluate(_ db: Database, referral: Referral, scheme: Scheme, today: String) throws -> (candidates: [Candidate], excluded: [Exclusion]) {
        guard let person = try PeopleDirectory.find(db, id: referral.personId) else { return ([], []) }
        let prefs = referral.preferences
        let prefArea = try prefs.areaId.flatMap { try Areas.find(db, id: $0) } ?? person.areaId.flatMap { try Areas.find(db, id: $0) }
        var candidates: [Candidate] = []
        var excluded: [Exclusion] = []
        for offer in try MatchStore.offers(db, scheme: referral.scheme, providerId: referral.providerId) where offer.personId != person.id {
            guard let volunteer = try PeopleDirectory.find(db, id: offer.personId), volunteer.erasedAt == nil,
                  volunteer.roles.contains("volunteer") else { continue }
            var broken: [String] = []
            let missing = try PeopleDirectory.missingChecks(db, personId: volunteer.id, required: scheme.requiredChecks, today: today)
            if !missing.isEmpty { broken.append("checks not clear and current: \(missing.joined(separator: ", "))") }
            let open = try MatchStore.openMatchCount(db, volunteerId: volunteer.id, scheme: referral.scheme)
            if open >= offer.capacity { broken.append("no room: \(open) of \(offer.capacity) matches") }
            let sameArea = try prefArea.map { area in try volunteer.areaId.map { try Areas.isWithin(db, areaId: $0, ancestorId: area.id) } ?? false } ?? false
            let sameCouncil = try prefArea.map { area in
                try volunteer.areaId.flatMap { try Areas.find(db, id: $0) }.map { $0.councilId == area.councilId } ?? false
            } ?? false
            let shared = volunteer.languages.filter { (prefs.languages.isEmpty ? person.languages : prefs.languages).contains($0) }
            let modes = offer.modes.filter { prefs.modes.contains($0) }
            if prefs.required.contains("area") && !sameArea { broken.append("not in the required area") }
            if prefs.required.contains("language") && shared.isEmpty { broken.append("no required language in common") }
            if prefs.required.contains("gender") && volunteer.gender != prefs.gender { broken.append("not the required gender") }
            if prefs.required.contains("mode") && modes.isEmpty { broken.append("cannot meet in the required way") }
            if try db.scalarInt("SELECT count(*) FROM matches WHERE referral_id = ? AND volunteer_id = ?", [referral.id, volunteer.id]) ?? 0 > 0 {
                broken.append("already tried with this person")
            }
            if !broken.isEmpty {
                excluded.append(Exclusion(volunteerId: volunteer.id, reasons: broken))
                continue
            }
            var score = 0
            var reasons: [String] = []
            if sameArea, let area = prefArea {
                score += 30; reasons.append("same area (\(area.name)) +30")
            } else if sameCouncil {
                score += 10; reasons.append("same borough +10")
            }
            if !shared.isEmpty { score += 25; reasons.append("shared language (\(shared.joined(separator: ", "))) +25") }
            let interests = offer.interests.filter { prefs.interests.contains($0) }
            if !interests.isEmpty {
                let points = min(20, interests.count * 5)
                score += points; reasons.append("shared interests (\(interests.joined(separator: ", "))) +\(points)")
            }
            let slots = offer.availability.filter { prefs.availability.contains($0) }
            if !slots.isEmpty {
                let points = min(20, slots.count * 4)
                score += points; reasons.append("available at the same times (\(slots.count)) +\(points)")
            }
            if !modes.isEmpty { score += 10; reasons.append("can meet as preferred (\(modes.joined(separator: ", "))) +10") }
            if let gender = prefs.gender, volunteer.gender == gender, !prefs.required.contains("gender") {
                score += 10; reasons.append("preferred gender +10")
            }
            candidates.append(Candidate(volunteerId: volunteer.id, score: score, reasons: reasons, volunteer: volunteer))
        }
        candidates.sort { ($0.score, $1.volunteerId) > ($1.score, $0.volunteerId) }
        return (candidates, excluded)
    }
}
