import SQLiteStore

/// One person taking part in the programme, as a module records it: who (a person id, or for
/// people the module knows only by name, a key of its own such as `member:<id>`), where, which
/// month (YYYY-MM) and in what.
public struct Engagement: Sendable, Equatable {
    public var who: String
    /// True when `who` is a People record id (so the same person is counted once across modules).
    public var isPerson: Bool
    public var areaId: String?
    public var month: String
    public var activity: String

    public init(who: String, isPerson: Bool, areaId: String?, month: String, activity: String) {
        self.who = who
        self.isPerson = isPerson
        self.areaId = areaId
        self.month = month
        self.activity = activity
    }
}

/// A module that knows who took part: the Impact module counts people once across all of them.
public protocol EngagementSource: Sendable {
    /// Short name for the breakdown (`matching`, `timecredits`, `networks`).
    var name: String { get }
    /// Everyone who took part in months `from...to` (YYYY-MM, inclusive).
    func engagements(_ db: Database, from: String, to: String) throws -> [Engagement]
    /// People reached that the module knows only as reported counts (funded projects), by area.
    func reportedReach(_ db: Database, from: String, to: String) throws -> [(areaId: String?, people: Int)]
}

extension EngagementSource {
    public func reportedReach(_ db: Database, from: String, to: String) throws -> [(areaId: String?, people: Int)] { [] }
}
