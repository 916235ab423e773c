import KithCore
import People
import SQLiteStore

/// What Time Credits holds about a person: their account, hours and bookings. Erasure keeps the
/// ledger and the hours (anonymous once the person is erased) so balances and figures stay right.
public struct TimeCreditsPersonalData: PersonalDataHolder {
    public init() {}

    public func export(_ db: Database, personId: String, now: Timestamp) throws -> [(String, JSON)] {
        let account = try Ledger.findAccount(db, personId: personId)
        let volunteering = try db.query("SELECT \(Volunteering.columns) FROM volunteering WHERE person_id = ? ORDER BY on_date, id", [personId],
                                        Volunteering.init(row:)).map(\.json)
        let bookings = try db.query("SELECT \(Booking.columns) FROM credit_bookings WHERE person_id = ? ORDER BY booked_at, id", [personId],
                                    Booking.init(row:)).map(\.json)
        return [("credit_account", account?.json ?? .null), ("volunteering", .array(volunteering)), ("credit_bookings", .array(bookings))]
    }

    public func erasureBlocked(_ db: Database, personId: String) throws -> String? { nil }

    public func erase(_ tx: Transaction, personId: String) throws -> [String] {
        try tx.db.run("UPDATE volunteering SET decline_reason = NULL WHERE person_id = ?", [personId])
        return ["volunteering decline reasons"]
    }
}
