import KithCore
import SQLiteStore

/// A contact a volunteer (or coordinator) logged on a match, as other modules see it.
public struct LoggedContact: Sendable {
    public var id: String
    public var matchId: String
    public var scheme: String
    public var volunteerId: String
    public var minutes: Int
    public var happenedAt: Timestamp
}

/// A module that acts on logged contacts (Time Credits earns credits for them). Called inside
/// the transaction that records the contact, so both happen or neither does.
public protocol ContactListener: Sendable {
    func contactLogged(_ tx: Transaction, _ contact: LoggedContact) throws
}
