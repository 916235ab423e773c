/// RFC 4180 CSV: the one reader and writer for imports and exports.
public enum CSV {
    public struct ParseError: Error, Sendable {
        public var line: Int
        public var message: String
    }

    /// Parses CSV text into rows of fields. Quoted fields may hold commas, quotes (`""`) and line
    /// breaks; CRLF or LF ends a record; a final empty line is ignored.
    public static func parse(_ text: String) throws(ParseError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        var line = 1
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == 34 {
                    if i + 1 < bytes.count, bytes[i + 1] == 34 { field.append(34); i += 2; continue }
                    inQuotes = false
                    afterQuote = true
                } else {
                    if c == 10 { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case 44:
                endField()
            case 34:
                guard field.isEmpty, !afterQuote else { throw ParseError(line: line, message: "a quote inside an unquoted field") }
                inQuotes = true
            case 13, 10:
                if c == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
                endField()
                rows.append(row)
                row = []
                line += 1
            default:
                guard !afterQuote else { throw ParseError(line: line, message: "text after a closing quote") }
                field.append(c)
            }
            i += 1
        }
        if inQuotes { throw ParseError(line: line, message: "a quoted field is not closed") }
        if !field.isEmpty || !row.isEmpty || afterQuote {
            endField()
            rows.append(row)
        }
        return rows
    }

    /// One record, quoted where needed, ending in CRLF. Fields that a spreadsheet would run as a
    /// formula (`=`, `+`, `-`, `@` first) are prefixed with `'` (CSV injection).
    public static func record(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\r\n"
    }

    static func quote(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// Rows with a header: each row as (line number, [column: value]). Throws on ragged rows.
    public static func records(_ text: String, required: [String], optional: [String]) throws -> (header: [String], rows: [(line: Int, values: [String: String])]) {
        let rows: [[String]]
        do { rows = try parse(text) } catch {
            throw Problem.badRequest("The CSV is malformed on line \(error.line): \(error.message).")
        }
        guard let header = rows.first?.map({ $0.trimmingOWS().lowercased() }) else {
            throw Problem.badRequest("The CSV is empty; the first line must name the columns.")
        }
        let known = Set(required + optional)
        var problems: [FieldError] = []
        for column in required where !header.contains(column) { problems.append(FieldError("header", "lacks the column \(column)")) }
        for column in header where !known.contains(column) { problems.append(FieldError("header", "has an unknown column \(column)")) }
        if Set(header).count != header.count { problems.append(FieldError("header", "names a column twice")) }
        if !problems.isEmpty { throw Problem.validation(problems) }
        var result: [(line: Int, values: [String: String])] = []
        for (offset, row) in rows.dropFirst().enumerated() {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == header.count else {
                throw Problem.validation([FieldError("row \(offset + 2)", "has \(row.count) fields; the header has \(header.count)")])
            }
            result.append((line: offset + 2, values: Dictionary(uniqueKeysWithValues: zip(header, row.map { $0.trimmingOWS() }))))
        }
        return (header, result)
    }
}
