/// Percent-decoding for paths and `application/x-www-form-urlencoded` style queries.
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`). Nil when an escape is malformed
    /// or the result is not valid UTF-8: callers answer 400 rather than guess.
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String? {
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 == 37 || (plusAsSpace && $0 == 43) }) { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == 37 {
                guard let hi = iterator.next().flatMap(hex), let lo = iterator.next().flatMap(hex) else { return nil }
                bytes.append(hi << 4 | lo)
            } else if plusAsSpace && byte == 43 {
                bytes.append(32)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Splits a query string into decoded name/value pairs, in order. Nil if any part is malformed.
    public static func queryItems<S: StringProtocol>(_ query: S) -> [(name: String, value: String)]? {
        var items: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(pieces[0], plusAsSpace: true) else { return nil }
            let value = pieces.count > 1 ? decode(pieces[1], plusAsSpace: true) : ""
            guard let value else { return nil }
            items.append((name: name, value: value))
        }
        return items
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }
}
