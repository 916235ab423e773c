import Foundation
import KithCore
import KithTestSupport
import Testing

/// The contract and the router must agree: every route is documented with its access rule, and
/// the spec names no route that does not exist.
@Suite struct OpenAPITests {
    static let specPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("openapi.yaml").path

    struct Operation: Hashable {
        var method: String
        var path: String
        var access: [String]
    }

    /// Reads operations from openapi.yaml, which keeps paths at 2 spaces, methods at 4 and
    /// `x-kith-access` at 6 (a convention this test enforces).
    static func operations(in text: String) throws -> [Operation] {
        var result: [Operation] = []
        var inPaths = false
        var path: String?
        var method: String?
        var access: [String]?
        func flush() throws {
            if let path, let method {
                guard let access else { throw TestClientError("\(method) \(path) has no x-kith-access") }
                result.append(Operation(method: method, path: path, access: access))
            }
            method = nil
            access = nil
        }
        for line in text.components(separatedBy: "\n") {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                try flush()
                inPaths = line.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                try flush()
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(key)) {
                    try flush()
                    method = key.uppercased()
                }
            } else if line.hasPrefix("      x-kith-access:"), method != nil {
                let list = line.components(separatedBy: "[").last?.components(separatedBy: "]").first ?? ""
                access = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        try flush()
        return result
    }

    @Test func specAndRouterListTheSameRoutesWithTheSameAccess() throws {
        let server = try TestServer()
        defer { server.stop() }
        let text = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let documented = Set(try Self.operations(in: text))
        let routed = Set(server.app.router.permissionTable.map { Operation(method: $0.method, path: $0.pattern, access: $0.access.specDescription) })
        #expect(!routed.isEmpty)
        let undocumented = routed.subtracting(documented).map { "\($0.method) \($0.path) \($0.access)" }.sorted()
        let phantom = documented.subtracting(routed).map { "\($0.method) \($0.path) \($0.access)" }.sorted()
        #expect(undocumented.isEmpty, "routes missing from openapi.yaml (or with different x-kith-access): \(undocumented)")
        #expect(phantom.isEmpty, "openapi.yaml operations the router does not have: \(phantom)")
    }

    @Test func theServerServesTheSpecItWasBuiltWith() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/openapi.yaml")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("application/yaml") == true)
        #expect(response.text == (try String(contentsOfFile: Self.specPath, encoding: .utf8)))
        #expect(response.text.hasPrefix("openapi: 3.1"))
    }

    @Test func theParserSeesMissingAccess() {
        let broken = """
            paths:
              /x:
                get:
                  operationId: x
            components: {}
            """
        #expect(throws: TestClientError.self) { try Self.operations(in: broken) }
    }
}
