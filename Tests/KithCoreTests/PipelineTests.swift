import Foundation
import HTTP1
import SQLiteStore
import Testing
@testable import KithCore

/// The pipeline without sockets: how handler failures become problems.
@Suite struct PipelineErrorMappingTests {
    final class Fixture {
        let directory: String
        let pipeline: Pipeline
        let errors = ErrorLog()

        final class ErrorLog: @unchecked Sendable {
            private let lock = NSLock()
            private var messages: [String] = []
            func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
            var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
        }

        init() throws {
            var template = Array((NSTemporaryDirectory() + "/kith-pipeline-XXXXXX").utf8CString)
            directory = String(cString: try #require(mkdtemp(&template)))
            let pool = try DatabasePool(path: directory + "/p.sqlite")
            try pool.write { db in
                try db.execute("""
                    CREATE TABLE area (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
                    CREATE TABLE grp (id TEXT PRIMARY KEY, area_id TEXT NOT NULL REFERENCES area(id), size INTEGER CHECK (size >= 0)) STRICT;
                    INSERT INTO area VALUES ('a1', 'Leyton');
                    """)
            }
            var router = Router()
            router.post("/unique", .anyone) { _, context in
                _ = try context.write { tx in try tx.db.run("INSERT INTO area VALUES ('a2', 'Leyton')") }
                return .noContent()
            }
            router.post("/foreign", .anyone) { _, context in
                _ = try context.write { tx in try tx.db.run("INSERT INTO grp VALUES ('g1', 'nowhere', 1)") }
                return .noContent()
            }
            router.post("/check", .anyone) { _, context in
                _ = try context.write { tx in try tx.db.run("INSERT INTO grp VALUES ('g1', 'a1', -1)") }
                return .noContent()
            }
            router.get("/bug", .anyone) { _, _ in throw StoreError("secret internal detail: /var/lib/kith") }
            router.post("/partial", .anyone) { _, context in
                try context.write { tx in
                    try tx.db.run("INSERT INTO area VALUES ('a3', 'Walthamstow')")
                    try tx.db.run("INSERT INTO area VALUES ('a4', 'Leyton')")
                }
                return .noContent()
            }
            var settings = Settings()
            settings.rateLimits.enabled = false
            let services = Services(database: pool, clock: SystemClock(), settings: settings)
            let errors = self.errors
            pipeline = Pipeline(router: router, services: services) { _, message in errors.add(message) }
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func call(_ method: HTTPMethod, _ path: String) -> (status: Int, body: JSON) {
            var headers = HTTPHeaders()
            headers.add("host", "x")
            let response = pipeline.handle(HTTPRequest(method: method, target: path, headers: headers), requestId: "r1", remoteAddress: "127.0.0.1")
            return (response.status, (try? JSON.parse(response.body)) ?? .null)
        }
    }

    @Test func uniqueViolationIs409NamingTheField() throws {
        let fixture = try Fixture()
        let (status, body) = fixture.call(.POST, "/unique")
        #expect(status == 409)
        #expect(body["type"]?.stringValue == "urn:kith:problem:conflict")
        #expect(body["errors"] == [["field": "name", "message": "is already used by another record"]])
    }

    @Test func foreignKeyViolationIs409AndCheckViolationIs422() throws {
        let fixture = try Fixture()
        #expect(fixture.call(.POST, "/foreign").status == 409)
        #expect(fixture.call(.POST, "/check").status == 422)
        #expect(fixture.errors.all.isEmpty, "expected failures are not logged as errors")
    }

    @Test func unexpectedErrorsAre500WithoutDetailsAndAreLogged() throws {
        let fixture = try Fixture()
        let (status, body) = fixture.call(.GET, "/bug")
        #expect(status == 500)
        #expect(!(body.encodedString().contains("/var/lib/kith")))
        #expect(body["request_id"]?.stringValue == "r1")
        #expect(fixture.errors.all.count == 1 && fixture.errors.all[0].contains("secret internal detail"))
    }

    @Test func aFailedWriteLeavesNothingBehind() throws {
        let fixture = try Fixture()
        #expect(fixture.call(.POST, "/partial").status == 409)
        let count = try fixture.pipeline.services.database.read { db in try db.scalarInt("SELECT count(*) FROM area") }
        #expect(count == 1, "the first insert of the failed request was rolled back")
    }
}
