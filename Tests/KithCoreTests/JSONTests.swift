import Testing
@testable import KithCore

@Suite struct JSONTests {
    @Test(arguments: [
        (#"{"a":1,"b":[true,false,null],"c":"x"}"#, JSON.object([("a", 1), ("b", [true, false, nil]), ("c", "x")])),
        (#"  [1, -2, 3.5, 1e3, -0]  "#, JSON.array([1, -2, 3.5, 1000.0, 0])),
        (#""\u00e9\ud83d\ude00\n\t\"\\\/""#, JSON.string("é😀\n\t\"\\/")),
        (#"9007199254740993"#, JSON.int(9_007_199_254_740_993)),
        ("\u{FEFF}{}", JSON.object([])),
    ])
    func parsesValidDocuments(text: String, expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "+1", "NaN", "Infinity", "[1] x",
        "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "{\"a\":1,\"a\":2}", "tru", "nul", "// c\n1",
        "\"tab\there\"", "1e999",
    ])
    func rejectsInvalidDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSON.parse([34, 0xC3, 0x28, 34]) }
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
        #expect((try? JSON.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))) != nil)
    }

    @Test func serialisesInOrderAndEscapes() {
        let value: JSON = ["z": 1, "a": "line\nbreak \"quoted\" \u{01}", "n": nil, "d": 2.5, "whole": 3.0, "list": [true]]
        #expect(value.encodedString() == #"{"z":1,"a":"line\nbreak \"quoted\" \u0001","n":null,"d":2.5,"whole":3,"list":[true]}"#)
        #expect(JSON.double(.infinity).encodedString() == "null")
    }

    @Test func roundTrips() throws {
        let value: JSON = ["name": "Leyton café ☕", "count": 12, "nested": ["ok": true, "list": [1, 2.25, "x", nil]]]
        #expect(try JSON.parse(value.encoded()) == value)
    }
}

@Suite struct TimestampTests {
    @Test func formatsFixedWidthUTC() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_680_000_123).rfc3339 == "2026-11-26T08:00:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        ("2026-11-26T09:30:00Z", "2026-11-26T09:30:00.000Z"),
        ("2026-11-26t09:30:00.5z", "2026-11-26T09:30:00.500Z"),
        ("2026-11-26T09:30:00.123456+01:00", "2026-11-26T08:30:00.123Z"),
        ("2026-03-01T00:30:00-05:30", "2026-03-01T06:00:00.000Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
    ])
    func parsesRFC3339(text: String, utc: String) throws {
        let parsed = try #require(Timestamp(rfc3339: text))
        #expect(parsed.rfc3339 == utc)
    }

    @Test(arguments: ["2026-11-26", "2026-11-26T09:30:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                      "2026-11-26T24:00:00Z", "2026-11-26T09:30:00+1:00", "2026-11-26T09:30:00.Z", "yesterday",
                      "2026-11-26T09:30:00Zjunk"])
    func rejectsMalformedTimes(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func parsesCalendarDates() {
        #expect(Timestamp(date: "2026-02-28")?.rfc3339 == "2026-02-28T00:00:00.000Z")
        #expect(Timestamp(date: "2026-02-30") == nil)
        #expect(Timestamp(date: "26-02-28") == nil)
    }
}

@Suite struct IdentifierTests {
    @Test func idsAreOpaqueUniqueAndSortByTime() {
        let early = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        let later = early.adding(seconds: 1)
        let a = Identifier.make("grp", at: early)
        let b = Identifier.make("grp", at: later)
        #expect(a.hasPrefix("grp_") && a.count == 30)
        #expect(a < b)
        let many = Set((0..<1000).map { _ in Identifier.make("x", at: early) })
        #expect(many.count == 1000)
        #expect(a.dropFirst(4).allSatisfy { "0123456789abcdefghjkmnpqrstvwxyz".contains($0) })
    }

    @Test func secretsCarry256Bits() {
        let secret = Identifier.secret(prefix: "kith_")
        #expect(secret.count == 5 + 52)
        #expect(secret != Identifier.secret(prefix: "kith_"))
    }

    @Test func digestAndConstantTimeCompare() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test(arguments: [[UInt8](), [0], [0, 1], [0, 1, 2], Array("[\"2026-11-26T09:00:00.000Z\",\"key_x\"]".utf8)])
    func base64URLRoundTrips(bytes: [UInt8]) {
        let text = Base64URL.encode(bytes)
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(Base64URL.decode(text) == bytes)
    }

    @Test func base64URLRejectsJunk() {
        #expect(Base64URL.decode("abc$") == nil)
        #expect(Base64URL.decode("a") == nil)
    }
}
