import HTTP1
import Testing

@Suite("PercentDecoding")
struct PercentDecodingTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("%41%42c", "ABc"),
        ("a%20b", "a b"),
        ("%2f%2F", "//"),
        ("%E2%82%AC", "€"),
        ("%e2%82%ac", "€"),
        ("caf%C3%A9", "café"),
        ("café", "café"),
        ("a+b", "a+b"),
        ("%2B", "+"),
        ("%25", "%"),
        ("%2525", "%25"),
        ("", ""),
    ])
    func decodesEscapes(input: String, expected: String) {
        #expect(PercentDecoding.decode(input) == expected)
    }

    @Test(arguments: [("a+b", "a b"), ("+++", "   "), ("%2B+%2b", "+ +"), ("x%20y+z", "x y z")])
    func plusIsSpaceOnlyWhenAsked(input: String, expected: String) {
        #expect(PercentDecoding.decode(input, plusAsSpace: true) == expected)
        #expect(PercentDecoding.decode(input, plusAsSpace: false) != expected)
    }

    @Test(arguments: ["%", "%4", "a%", "%zz", "%G1", "%1G", "%%41", "% 41", "%-1", "%+1"])
    func malformedEscapesAreNil(input: String) {
        #expect(PercentDecoding.decode(input) == nil)
        #expect(PercentDecoding.decode(input, plusAsSpace: true) == nil)
    }

    @Test(arguments: ["%FF", "%C3%28", "%C3", "%E2%82", "%ED%A0%80", "%C0%AF", "%F8%88%80%80%80", "a%80b"])
    func invalidUTF8IsNil(input: String) {
        #expect(PercentDecoding.decode(input) == nil)
    }

    @Test func nulIsDecodedLiterally() {
        // Valid UTF-8; whether a NUL is acceptable is for the caller to decide.
        #expect(PercentDecoding.decode("a%00b") == "a\0b")
    }

    @Test func queryItems() throws {
        let items = try #require(PercentDecoding.queryItems("a=1&b=x+y&c&&d=%20&e=b=c&a=2&=v&f="))
        let pairs = items.map { "\($0.name)=\($0.value)" }
        #expect(pairs == ["a=1", "b=x y", "c=", "d= ", "e=b=c", "a=2", "=v", "f="])
    }

    @Test func queryItemsDecodeNamesToo() throws {
        let items = try #require(PercentDecoding.queryItems("na%6De=v%C3%A9&sp+ace=1"))
        #expect(items.map(\.name) == ["name", "sp ace"])
        #expect(items.map(\.value) == ["vé", "1"])
    }

    @Test func emptyQuery() {
        #expect(PercentDecoding.queryItems("")?.isEmpty == true)
        #expect(PercentDecoding.queryItems("&&")?.isEmpty == true)
    }

    @Test(arguments: ["a=%zz", "%zz=1", "a=1&b=%FF", "a=%", "ok=1&bad%=2"])
    func malformedQueriesAreNil(query: String) {
        #expect(PercentDecoding.queryItems(query) == nil)
    }
}
