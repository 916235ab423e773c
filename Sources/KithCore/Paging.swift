import HTTP1

/// Cursor pagination, the one way lists are paged.
///
/// Lists are ordered by a stable key ending in the row id. The cursor is the last row's key,
/// encoded opaquely; the next page is the rows after it (keyset pagination: no skipped or
/// repeated rows when others are inserted meanwhile, and no OFFSET scans).
public struct PageRequest: Sendable {
    public static let defaultLimit = 50
    public static let maxLimit = 200
    /// The query parameters every list takes.
    public static let parameters: Set<String> = ["limit", "cursor", "updated_since"]

    public var limit: Int
    /// Which list (and sort order) a cursor belongs to: a cursor from another list is refused
    /// rather than silently misread.
    public var list: String
    /// The sort key of the last row of the previous page.
    public var after: [JSON]?
    /// Only rows changed at or after this time (partner sync).
    public var updatedSince: Timestamp?

    public init(list: String = "", limit: Int = PageRequest.defaultLimit, after: [JSON]? = nil, updatedSince: Timestamp? = nil) {
        self.list = list
        self.limit = limit
        self.after = after
        self.updatedSince = updatedSince
    }

    /// Reads `limit`, `cursor` and `updated_since`; refuses any parameter not in `filters` or the
    /// paging parameters. `keyLength` is how many values the list's sort key has.
    public init(_ query: Query, list: String, filters: Set<String> = [], keyLength: Int) throws {
        try query.allowOnly(Self.parameters.union(filters))
        self.list = list
        limit = try query.int("limit", in: 1...Self.maxLimit) ?? Self.defaultLimit
        updatedSince = try query.timestamp("updated_since")
        if let cursor = query.string("cursor") {
            guard let bytes = Base64URL.decode(cursor), case .array(let values)? = try? JSON.parse(bytes),
                  values.count == keyLength + 1, values.first == .string(list)
            else { throw Self.badCursor }
            after = Array(values.dropFirst())
        }
    }

    /// The cursor's values as strings (lists keyed by text columns); 400 if the cursor holds
    /// anything else, rather than silently starting again from the top.
    public func afterStrings() throws -> [String]? {
        guard let after else { return nil }
        let strings = after.compactMap(\.stringValue)
        guard strings.count == after.count else { throw Self.badCursor }
        return strings
    }

    /// The cursor's values as integers (lists keyed by a sequence number).
    public func afterInts() throws -> [Int]? {
        guard let after else { return nil }
        let ints = after.compactMap { value -> Int? in if case .int(let i) = value { return i }; return nil }
        guard ints.count == after.count else { throw Self.badCursor }
        return ints
    }

    static let badCursor = Problem.badRequest("The cursor is not valid for this list; start again without it.",
                                              errors: [FieldError("cursor", "is not a cursor from this list")])

    /// Splits `rows` (fetched with `limit + 1`) into the page and the next cursor.
    public func page<T>(_ rows: [T], key: (T) -> [JSON]) -> (items: [T], nextCursor: String?) {
        guard rows.count > limit else { return (rows, nil) }
        let items = Array(rows.prefix(limit))
        guard let last = items.last else { return (items, nil) }
        return (items, Base64URL.encode(JSON.array([.string(list)] + key(last)).encoded()))
    }

    /// `LIMIT` to use in SQL: one extra row tells whether there is a next page.
    public var fetchLimit: Int { limit + 1 }
}

extension HTTPResponse {
    /// `{"data": [...], "next_cursor": "..."|null}`
    public static func page(_ items: [JSON], nextCursor: String?) -> HTTPResponse {
        .json(["data": .array(items), "next_cursor": JSON(nextCursor)])
    }
}

/// Base64url without padding (RFC 4648 §5), for opaque cursors.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1, input.count <= 4096 else { return nil }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in input {
            let value = reverse[Int(c)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
