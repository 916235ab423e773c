import HTTP1
import Testing
@testable import KithCore

func jsonRequest(_ body: String, contentType: String? = "application/json") -> Request {
    var headers = HTTPHeaders()
    if let contentType { headers.add("content-type", contentType) }
    let http = HTTPRequest(method: .POST, target: "/x", headers: headers, body: Array(body.utf8))
    return Request(http: http, path: "/x", parameters: [], query: Query(items: []))
}

func problem(_ body: () throws -> Void) -> Problem? {
    do { try body(); return nil } catch let problem as Problem { return problem } catch { return nil }
}

@Suite struct InputTests {
    @Test func readsValidInput() throws {
        let input = try Input.object(from: jsonRequest("""
            {"name": "  Leyton Food Bank ", "size": 12, "open": true, "kind": "charity",
             "tags": ["food", "food", "advice"], "contact": {"email": "hi@example.org"}, "when": "2026-11-26T10:00:00+01:00"}
            """))
        #expect(input.string("name", required: true) == "Leyton Food Bank")
        #expect(input.int("size", in: 0...100) == 12)
        #expect(input.bool("open") == true)
        #expect(input.choice("kind", from: ["charity", "school"]) == "charity")
        #expect(input.strings("tags") == ["food", "advice"])
        #expect(input.object("contact")?.email("email") == "hi@example.org")
        #expect(input.timestamp("when")?.rfc3339 == "2026-11-26T09:00:00.000Z")
        try input.finish()
    }

    @Test func collectsEveryErrorWithFieldNames() throws {
        let input = try Input.object(from: jsonRequest("""
            {"name": "", "size": 1000, "kind": "spaceship", "tags": ["ok", 3], "contact": {"email": "nope", "fax": "1"},
             "extra": 1, "when": "tomorrow", "open": "yes", "ratio": 1.5}
            """))
        _ = input.string("name", required: true)
        _ = input.int("size", in: 0...100)
        _ = input.choice("kind", from: ["charity"])
        _ = input.strings("tags")
        _ = input.object("contact")?.email("email")
        _ = input.timestamp("when")
        _ = input.bool("open")
        _ = input.int("ratio")
        _ = input.string("missing", required: true)
        let thrown = problem { try input.finish() }
        #expect(thrown?.status == 422)
        let fields = Set(thrown?.errors.map(\.field) ?? [])
        #expect(fields == ["name", "size", "kind", "tags[1]", "contact.email", "contact.fax", "extra", "when", "open", "ratio", "missing"])
        #expect(thrown?.errors.first { $0.field == "extra" }?.message == "is not a field of this resource")
        #expect(thrown?.errors.first { $0.field == "missing" }?.message == "is required")
    }

    @Test func refusesWrongMediaTypeMalformedJSONAndNonObjects() {
        #expect(problem { _ = try Input.object(from: jsonRequest("{}", contentType: "text/plain")) }?.status == 415)
        #expect(problem { _ = try Input.object(from: jsonRequest("{}", contentType: nil)) }?.status == 415)
        #expect(problem { _ = try Input.object(from: jsonRequest("{\"a\":", contentType: "application/json; charset=utf-8")) }?.slug == "malformed-json")
        #expect(problem { _ = try Input.object(from: jsonRequest("")) }?.status == 400)
        #expect(problem { _ = try Input.object(from: jsonRequest("[1]")) }?.status == 422)
    }

    @Test func nullsAndPresenceForPatches() throws {
        let input = try Input.object(from: jsonRequest(#"{"website": null, "name": null}"#))
        #expect(input.has("website") && input.isNull("website"))
        #expect(!input.has("phone"))
        #expect(input.url("website") == nil)
        _ = input.string("name", required: true)
        #expect(problem { try input.finish() }?.errors == [FieldError("name", "must not be null")])
    }

    @Test(arguments: ["a@b", "@b.org", "a b@c.org", "a@.org", "a@org.", "two@@x.org"])
    func rejectsBadEmails(email: String) throws {
        let input = try Input.object(from: jsonRequest("{\"e\": \"\(email)\"}"))
        #expect(input.email("e") == nil)
        #expect(input.hasErrors)
    }

    @Test(arguments: ["https://leyton.example.org", "http://example.org/a%20b?q=1&r=[x]#top", "HTTPS://EXAMPLE.ORG",
                      "http://[2001:db8::1]:8080/", "https://xn--caf-dma.example/menu"])
    func acceptsHTTPURLs(url: String) throws {
        let input = try Input.object(from: jsonRequest("{\"u\": \"\(url)\"}"))
        #expect(input.url("u") == url)
        #expect(!input.hasErrors)
    }

    /// Found by fuzzing: a URL with non-ASCII letters, `|` and a newline was stored and then broke
    /// the documented `format: uri`.
    @Test(arguments: ["ftp://example.org/x", "http://", "http:///path", "https://exa mple.org", "http://ex\\nample.org",
                      "htTp://\u{CA}|\u{D1}0.org", "https://café.example", "https://example.org/%zz", "https://example.org/a|b",
                      "https://example.org/\\\"x\\\""])
    func rejectsOtherURLs(url: String) throws {
        let input = try Input.object(from: jsonRequest("{\"u\": \"\(url)\"}"))
        #expect(input.url("u") == nil)
        #expect(input.hasErrors)
    }
}
