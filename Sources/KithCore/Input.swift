import HTTP1

/// Reads and validates a JSON object body: the one way Kith takes input.
///
/// Each reader returns the value or nil and records what was wrong, so one response lists every
/// bad field. `finish()` adds unknown fields (no mass assignment, no silently ignored typos) and
/// throws 422 if anything was recorded.
///
///     let input = try Input.object(from: request)
///     let name = input.string("name", required: true, maxLength: 100)
///     let role = input.choice("role", from: Role.allCases.map(\.rawValue), required: true)
///     try input.finish()
public final class Input {
    private final class Errors { var list: [FieldError] = [] }

    private let pairs: [(String, JSON)]
    private let prefix: String
    private let errors: Errors
    private var read: Set<String> = []
    private var children: [Input] = []

    private init(pairs: [(String, JSON)], prefix: String, errors: Errors) {
        self.pairs = pairs
        self.prefix = prefix
        self.errors = errors
    }

    /// An input from values already parsed (e.g. one row of a bulk request).
    public convenience init(object: [(String, JSON)], prefix: String = "") {
        self.init(pairs: object, prefix: prefix, errors: Errors())
    }

    /// Parses the request body: 415 unless JSON, 400 if not well-formed, 422 unless an object.
    public static func object(from request: Request) throws -> Input {
        let value = try parseBody(request)
        guard case .object(let pairs) = value else {
            throw Problem.validation([FieldError("body", "must be a JSON object, not \(value.typeName)")])
        }
        return Input(object: pairs)
    }

    /// For action routes whose body is optional: no body reads as `{}`.
    public static func optionalObject(from request: Request) throws -> Input {
        request.body.isEmpty ? Input(object: []) : try object(from: request)
    }

    /// Parses a JSON body of any shape (bulk endpoints take arrays).
    public static func parseBody(_ request: Request) throws -> JSON {
        let contentType = request.header("content-type")?.split(separator: ";").first.map { $0.trimmingOWS().lowercased() }
        guard let contentType, contentType == "application/json" || contentType.hasSuffix("+json") else {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        guard !request.body.isEmpty else { throw Problem.malformedJSON("The body is empty; send a JSON object.") }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw Problem.malformedJSON("The body is not valid JSON: \(error.message) at byte \(error.offset).")
        }
    }

    // MARK: - Presence

    public func has(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    public func isNull(_ key: String) -> Bool { raw(key)?.isNull ?? false }

    /// Records an error for a field the caller checked itself.
    public func fail(_ key: String, _ message: String) { errors.list.append(FieldError(prefix + key, message)) }

    public var hasErrors: Bool { !errors.list.isEmpty }

    private func raw(_ key: String) -> JSON? { pairs.first { $0.0 == key }?.1 }

    /// The value if present and not null; records "is required" when it must be there.
    private func value(_ key: String, required: Bool) -> JSON? {
        read.insert(key)
        guard let value = raw(key) else {
            if required { fail(key, "is required") }
            return nil
        }
        if value.isNull {
            if required { fail(key, "must not be null") }
            return nil
        }
        return value
    }

    // MARK: - Scalars

    public func string(_ key: String, required: Bool = false, minLength: Int = 1, maxLength: Int = 200) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let raw) = value else { fail(key, "must be a string"); return nil }
        let text = raw.trimmingOWS()
        // Counted in Unicode scalars, as SQLite's length() counts, so the two never disagree.
        let length = text.unicodeScalars.count
        if length < minLength { fail(key, minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters"); return nil }
        if length > maxLength { fail(key, "must be at most \(maxLength) characters"); return nil }
        if text.unicodeScalars.contains(where: { $0.value < 32 && $0 != "\n" && $0 != "\t" && $0 != "\r" }) {
            fail(key, "must not contain control characters")
            return nil
        }
        return text
    }

    /// Free text such as descriptions and notes.
    public func text(_ key: String, required: Bool = false, maxLength: Int = 5000) -> String? {
        string(key, required: required, maxLength: maxLength)
    }

    public func int(_ key: String, required: Bool = false, in range: ClosedRange<Int> = 0...Int(Int32.max)) -> Int? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.intValue, value.doubleValue.map({ $0 == $0.rounded() }) == true else {
            fail(key, "must be a whole number")
            return nil
        }
        guard range.contains(number) else { fail(key, "must be from \(range.lowerBound) to \(range.upperBound)"); return nil }
        return number
    }

    /// `1000000000`, not `1000000000.0`, in messages.
    private static func plain(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }

    public func double(_ key: String, required: Bool = false, in range: ClosedRange<Double>) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.doubleValue else { fail(key, "must be a number"); return nil }
        guard range.contains(number) else { fail(key, "must be from \(Self.plain(range.lowerBound)) to \(Self.plain(range.upperBound))"); return nil }
        return number
    }

    public func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let value = value(key, required: required) else { return nil }
        guard case .bool(let flag) = value else { fail(key, "must be true or false"); return nil }
        return flag
    }

    public func choice(_ key: String, from allowed: [String], required: Bool = false) -> String? {
        guard let text = string(key, required: required, maxLength: 100) else { return nil }
        guard allowed.contains(text) else { fail(key, "must be one of: \(allowed.joined(separator: ", "))"); return nil }
        return text
    }

    public func timestamp(_ key: String, required: Bool = false) -> Timestamp? {
        guard let text = string(key, required: required, maxLength: 40) else { return nil }
        guard let time = Timestamp(rfc3339: text) else { fail(key, "must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z"); return nil }
        return time
    }

    /// A calendar date, `YYYY-MM-DD`.
    public func date(_ key: String, required: Bool = false) -> String? {
        guard let text = string(key, required: required, maxLength: 10) else { return nil }
        guard Timestamp(date: text) != nil else { fail(key, "must be a date as YYYY-MM-DD"); return nil }
        return text
    }

    public func email(_ key: String, required: Bool = false) -> String? {
        guard let text = string(key, required: required, maxLength: 254) else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !text.contains(where: { $0 == " " || $0 == "," || $0 == "<" || $0 == ">" })
        else { fail(key, "must be an email address"); return nil }
        return text
    }

    /// An absolute http(s) URI as RFC 3986 spells it: ASCII only (an international name is sent
    /// in punycode, other characters percent-encoded), a host, and no spaces or control characters.
    public func url(_ key: String, required: Bool = false) -> String? {
        guard let text = string(key, required: required, maxLength: 500) else { return nil }
        guard Self.isHTTPURL(text) else {
            fail(key, "must be an http or https URL (ASCII: percent-encode other characters)")
            return nil
        }
        return text
    }

    /// An array of `url`s (trimmed, de-duplicated in order), each checked as `url` is.
    public func urls(_ key: String, required: Bool = false, maxCount: Int = 20) -> [String]? {
        guard let links = strings(key, required: required, maxCount: maxCount, maxLength: 500) else { return nil }
        for (i, link) in links.enumerated() where !Self.isHTTPURL(link) {
            fail("\(key)[\(i)]", "must be an http or https URL (ASCII: percent-encode other characters)")
        }
        return links
    }

    static func isHTTPURL(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let lower = text.lowercased()
        let schemeLength = lower.hasPrefix("https://") ? 8 : lower.hasPrefix("http://") ? 7 : 0
        guard schemeLength > 0, bytes.count > schemeLength + 3 else { return false }
        // The host starts with a letter, a digit or `[` (an IPv6 literal).
        let first = bytes[schemeLength]
        guard first.isASCIILetterOrDigit || first == UInt8(ascii: "[") else { return false }
        var index = schemeLength
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, bytes[index + 1].isASCIIHexDigit, bytes[index + 2].isASCIIHexDigit else { return false }
                index += 3
                continue
            }
            guard byte.isASCIILetterOrDigit || uriPunctuation.contains(byte) else { return false }
            index += 1
        }
        return true
    }

    /// RFC 3986 unreserved and reserved punctuation (`%` is handled on its own).
    private static let uriPunctuation = Set("-._~:/?#[]@!$&'()*+,;=".utf8)

    public func phone(_ key: String, required: Bool = false) -> String? {
        guard let text = string(key, required: required, maxLength: 30) else { return nil }
        let digits = text.filter(\.isNumber).count
        guard digits >= 6, text.allSatisfy({ $0.isNumber || " +-()".contains($0) }) else {
            fail(key, "must be a phone number (digits, spaces, + - and brackets)")
            return nil
        }
        return text
    }

    // MARK: - Collections

    /// An array of strings, trimmed, de-duplicated in order.
    public func strings(_ key: String, required: Bool = false, maxCount: Int = 50, maxLength: Int = 100) -> [String]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let items) = value else { fail(key, "must be an array of strings"); return nil }
        guard items.count <= maxCount else { fail(key, "must have at most \(maxCount) items"); return nil }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let raw) = item else { fail("\(key)[\(i)]", "must be a string"); return nil }
            let text = raw.trimmingOWS()
            guard !text.isEmpty, text.unicodeScalars.count <= maxLength else { fail("\(key)[\(i)]", "must be 1 to \(maxLength) characters"); return nil }
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    /// An array of values from a controlled list.
    public func choices(_ key: String, from allowed: [String], required: Bool = false, maxCount: Int = 50) -> [String]? {
        guard let items = strings(key, required: required, maxCount: maxCount) else { return nil }
        for (i, item) in items.enumerated() where !allowed.contains(item) {
            fail("\(key)[\(i)]", "must be one of: \(allowed.joined(separator: ", "))")
            return nil
        }
        return items
    }

    /// A nested object, validated with the same rules; its fields are named `key.field`.
    public func object(_ key: String, required: Bool = false) -> Input? {
        guard let value = value(key, required: required) else { return nil }
        guard case .object(let pairs) = value else { fail(key, "must be an object"); return nil }
        let child = Input(pairs: pairs, prefix: prefix + key + ".", errors: errors)
        children.append(child)
        return child
    }

    /// An array of objects, each validated by `body` with fields named `key[i].field`.
    public func objects<T>(_ key: String, required: Bool = false, minCount: Int = 0, maxCount: Int = 100, _ body: (Input) -> T?) -> [T]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let items) = value else { fail(key, "must be an array of objects"); return nil }
        guard items.count >= minCount else { fail(key, "must have at least \(minCount) item\(minCount == 1 ? "" : "s")"); return nil }
        guard items.count <= maxCount else { fail(key, "must have at most \(maxCount) items"); return nil }
        var results: [T] = []
        for (i, item) in items.enumerated() {
            guard case .object(let pairs) = item else { fail("\(key)[\(i)]", "must be an object"); continue }
            let child = Input(pairs: pairs, prefix: "\(prefix)\(key)[\(i)].", errors: errors)
            children.append(child)
            if let result = body(child) { results.append(result) }
        }
        return results
    }

    /// Any JSON value, for fields the caller interprets itself.
    public func json(_ key: String, required: Bool = false) -> JSON? { value(key, required: required) }

    // MARK: - Finishing

    /// Throws 422 listing every recorded error and every field no reader asked for.
    public func finish() throws {
        collectUnknownFields()
        if !errors.list.isEmpty { throw Problem.validation(errors.list) }
    }

    private func collectUnknownFields() {
        for (key, _) in pairs where !read.contains(key) { fail(key, "is not a field of this resource") }
        for child in children { child.collectUnknownFields() }
    }
}

private extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9"))
    }

    var isASCIIHexDigit: Bool {
        (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")) || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}
