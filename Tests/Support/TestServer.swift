import Foundation
import KithApp
import KithCore
import SQLiteStore

/// A live Kith on an ephemeral port with a fresh SQLite file in a temporary folder, a clock the
/// test controls, and an admin key. Every test gets its own; `stop()` removes everything.
public final class TestServer: @unchecked Sendable {
    public let app: KithApplication
    public let clock: ManualClock
    public let directory: String
    public let adminKey: String
    public var port: Int { app.port }
    public var databasePath: String { app.configuration.databasePath }

    /// 2026-11-26T09:00:00Z: tests start from a known time.
    public static let startTime = Timestamp(rfc3339: "2026-11-26T09:00:00Z")!

    public init(_ configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        directory = try TestServer.makeTemporaryDirectory()
        var configuration = AppConfiguration()
        configuration.databasePath = directory + "/kith.sqlite"
        configuration.server.port = 0
        configuration.server.shutdownGrace = 2
        configuration.accessLog = false
        configure(&configuration)
        clock = ManualClock(TestServer.startTime)
        let devNull = open("/dev/null", O_WRONLY)
        app = try KithApplication(configuration: configuration, clock: clock, log: LogSink(fd: devNull))
        guard let key = try KithStore.bootstrapAdminKey(app.services.database, clock: clock) else {
            throw TestClientError("a fresh database already had keys")
        }
        adminKey = key
        try app.start()
    }

    public func stop() {
        app.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new key with this role (and scope), made directly in the store.
    public func makeKey(_ role: Role, scope: Scope? = nil, expiresAt: Timestamp? = nil, name: String = "test key") throws -> String {
        try app.services.database.write { db in
            try APIKeys.create(Transaction(db: db, actor: .system, now: clock.now()), name: name, role: role, scope: scope,
                               expiresAt: expiresAt, createdBy: nil).secret
        }
    }

    public func connect(timeout: Double = 5) throws -> RawConnection { try RawConnection(port: port, timeout: timeout) }

    /// One request on a fresh connection.
    @discardableResult
    public func request(_ method: String, _ path: String, key: String? = nil, json: String? = nil,
                        headers: [(String, String)] = []) throws -> TestResponse {
        let connection = try connect()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if let key { head += "Authorization: Bearer \(key)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var body: [UInt8] = []
        if let json {
            body = Array(json.utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { head += "Content-Type: application/json\r\n" }
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        try connection.send(Array((head + "\r\n").utf8) + body)
        return try connection.readResponse(head: method == "HEAD")
    }

    public static func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/kith-test-XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { throw TestClientError("mkdtemp failed") }
        return String(cString: path)
    }
}

/// Runs `body` on `count` dedicated threads at once and waits for all. Tests use this rather than
/// `concurrentPerform`, whose workers are the same Dispatch threads the in-process server needs.
public func runConcurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        let thread = Thread { body(index); done.signal() }
        thread.start()
    }
    for _ in 0..<count { done.wait() }
}
