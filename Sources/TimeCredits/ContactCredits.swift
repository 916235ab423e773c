import KithCore
import Matching
import SQLiteStore

/// Befriending and FAN contacts logged by volunteers earn credits when the scheme's settings say
/// so: in the same transaction as the contact, exactly once per contact (the ledger's unique
/// cause), half hours carried per scheme, and only up to what the day's maximum has left after
/// the volunteer's other hours that day.
public struct ContactCredits: ContactListener {
    public init() {}

    public func contactLogged(_ tx: Transaction, _ contact: LoggedContact) throws {
        let settings = try CreditSettings.load(tx.db)
        guard settings.contactCredits.contains(contact.scheme) else { return }
        let day = contact.happenedAt.date
        let left = max(0, settings.maxHoursPerDay * 2 - (try EarningRoutes.halfHoursGiven(tx.db, personId: contact.volunteerId, on: day)))
        let halfHours = min(contact.minutes / 30, left)
        try tx.db.run("INSERT INTO contact_hours(contact_id, person_id, on_date, half_hours) VALUES (?, ?, ?, ?)",
                      [contact.id, contact.volunteerId, day, halfHours])
        guard halfHours > 0 else { return }
        try EarningRoutes.issue(tx, personId: contact.volunteerId, earnedAt: "scheme:\(contact.scheme)", halfHours: halfHours,
                                source: (type: "contact", id: contact.id))
    }
}
