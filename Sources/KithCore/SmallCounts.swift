/// Statistical disclosure control for reports: a count of 1 to 4 people (and any figure resting
/// on so few) could point at someone, so it is withheld (`null`) from viewers, the programme
/// boards and evaluators who see figures but no personal data. Staff see exact figures.
public struct SmallCounts: Sendable {
    /// The smallest count of people shown to viewers (zero is always shown).
    public static let threshold = 5

    /// False for viewers: their small counts are withheld.
    public let exact: Bool

    public init(for principal: Principal?) { exact = principal?.role != .viewer }

    /// Whether a count of `people` is withheld from this caller.
    public func hides(_ people: Int) -> Bool { !exact && people > 0 && people < Self.threshold }

    /// `value` unless it rests on too few people for this caller.
    public func shown(_ people: Int, _ value: JSON) -> JSON { hides(people) ? .null : value }

    /// A count of people, or `null` when it is too small for this caller.
    public func count(_ people: Int) -> JSON { shown(people, .int(people)) }

    /// What reports say about it: the threshold, or `null` when nothing is withheld.
    public var thresholdJSON: JSON { exact ? .null : .int(Self.threshold) }
}
