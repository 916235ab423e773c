import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A point in time, UTC, millisecond precision. Written as RFC 3339 with milliseconds and `Z`
/// (`2026-11-26T09:30:00.000Z`): fixed width, so text order is time order in SQLite.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + seconds * 1000) }

    public var epochSeconds: Int64 { millisecondsSinceEpoch >= 0 ? millisecondsSinceEpoch / 1000 : (millisecondsSinceEpoch - 999) / 1000 }

    /// `2026-11-26T09:30:00.000Z`
    public var rfc3339: String {
        let ms = Int(((millisecondsSinceEpoch % 1000) + 1000) % 1000)
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return Self.pad(Int(parts.tm_year) + 1900, 4) + "-" + Self.pad(Int(parts.tm_mon) + 1, 2) + "-" + Self.pad(Int(parts.tm_mday), 2)
            + "T" + Self.pad(Int(parts.tm_hour), 2) + ":" + Self.pad(Int(parts.tm_min), 2) + ":" + Self.pad(Int(parts.tm_sec), 2)
            + "." + Self.pad(ms, 3) + "Z"
    }

    /// The calendar date in UTC, `YYYY-MM-DD`.
    public var date: String { String(rfc3339.prefix(10)) }

    public var description: String { rfc3339 }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Parses RFC 3339 date-time (`2026-11-26T09:30:00Z`, `…:00.5+01:00`); nil if malformed.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for i in from..<(from + count) {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
              let day = digits(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32,
              let hour = digits(11, 2), b[13] == 58, let minute = digits(14, 2), b[16] == 58, let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var millis = 0
        if index < b.count, b[index] == 46 {
            index += 1
            let start = index
            while index < b.count, (48...57).contains(b[index]) { index += 1 }
            guard index > start else { return nil }
            let fraction = Array(b[start..<min(index, start + 3)])
            millis = fraction.enumerated().reduce(0) { $0 + Int($1.element - 48) * [100, 10, 1][$1.offset] }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        if b[index] == 90 || b[index] == 122 {
            index += 1
        } else if b[index] == 43 || b[index] == 45 {
            guard let oh = digits(index + 1, 2), b.count > index + 3, b[index + 3] == 58, let om = digits(index + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[index] == 45 ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        self.millisecondsSinceEpoch = seconds * 1000 + Int64(millis)
    }

    /// Parses a calendar date `YYYY-MM-DD` as midnight UTC.
    public init?(date text: String) {
        guard text.utf8.count == 10, let ts = Timestamp(rfc3339: text + "T00:00:00Z") else { return nil }
        self = ts
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days, inverted).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// The one clock. Production reads the system time; tests inject a clock they can move.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}

/// A clock tests set and advance.
public final class ManualClock: WallClock {
    private let current: Atomic<Int64>
    public init(_ start: Timestamp) { current = Atomic(start.millisecondsSinceEpoch) }
    public func now() -> Timestamp { Timestamp(millisecondsSinceEpoch: current.load(ordering: .relaxed)) }
    public func advance(seconds: Int64) { current.wrappingAdd(seconds * 1000, ordering: .relaxed) }
    public func set(_ time: Timestamp) { current.store(time.millisecondsSinceEpoch, ordering: .relaxed) }
}
