import Foundation
import KithCore
import KithResources
import KithTestSupport
import SQLiteStore
import Testing

/// The `kith` binary itself, run as a process: what operators and CI scripts see.
@Suite struct CLITests {
    /// `swift test` builds every product into the same folder as the test bundle.
    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("kith").path
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestClientError("no kith binary at \(binary); build it with `swift build` first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func keysCreatePrintsOnlyTheKeyOnStdout() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = directory + "/k.sqlite"
        let created = try Self.run(["keys", "create", "--role", "officer", "--name", "Leyton officer", "--scope", "area:leyton", "--db", db])
        #expect(created.status == 0)
        let key = created.stdout.trimmingCharacters(in: .newlines)
        #expect(key.hasPrefix("kith_") && key.count == 57 && !key.contains(" "))
        #expect(created.stderr.contains("created key_"))

        let listed = try Self.run(["keys", "list"], environment: ["KITH_DB": db])
        #expect(listed.status == 0 && listed.stdout.contains("officer") && listed.stdout.contains("area:leyton"))
        #expect(!listed.stdout.contains(key), "secrets are never listed")
        let id = try #require(listed.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first.map(String.init))

        #expect(try Self.run(["keys", "revoke", id, "--db", db]).status == 0)
        #expect(try Self.run(["keys", "list", "--db", db]).stdout.contains("revoked"))
        #expect(try Self.run(["keys", "revoke", "key_nothing", "--db", db]).status == 1)
        let bad = try Self.run(["keys", "create", "--role", "emperor", "--name", "x", "--db", db])
        #expect(bad.status == 2 && bad.stdout.isEmpty && bad.stderr.contains("--role must be one of"))
    }

    @Test func migrateCheckAndBackup() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = directory + "/m.sqlite"
        let migrated = try Self.run(["migrate", "--db", db])
        #expect(migrated.status == 0 && migrated.stdout.contains("0001_core.sql"))
        #expect(migrated.stderr.contains("applied migration 0001_core.sql"))
        #expect(try Self.run(["migrate", "--db", db]).stderr.isEmpty, "nothing left to apply the second time")
        let checked = try Self.run(["check", "--db", db])
        #expect(checked.status == 0 && checked.stdout == "ok\n")
        let backup = directory + "/copy.sqlite"
        let copied = try Self.run(["backup", backup, "--db", db])
        #expect(copied.status == 0)
        #expect(try Self.run(["check", "--db", backup]).stdout == "ok\n")
        #expect(try Self.run(["backup", backup, "--db", db]).status == 2, "an existing file is never overwritten")
        #expect(try Self.run(["check", "--db", directory + "/absent.sqlite"]).status == 2)

        // A credit balance that no longer matches the ledger's movements is reported.
        try Database(path: db).execute("UPDATE credit_accounts SET balance = 5 WHERE id = 'acc_issuing'")
        let broken = try Self.run(["check", "--db", db])
        #expect(broken.status == 1)
        #expect(broken.stdout == "credit account acc_issuing: balance differs from the sum of its movements\ncredit ledger: balances sum to 5, not 0\n")
    }

    @Test func seedsTheDemoBoroughOnceAndTheSameEachTime() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seeded = try Self.run(["seed", "--demo", "--db", directory + "/a.sqlite"])
        #expect(seeded.status == 0)
        #expect(seeded.stdout.hasPrefix("groups\t300\nnetworks\t4\n"), "\(seeded.stdout) \(seeded.stderr)")
        let again = try Self.run(["seed", "--demo", "--seed", "20261126", "--db", directory + "/b.sqlite"])
        #expect(again.stdout == seeded.stdout, "the same seed gives the same borough")
        #expect(try Self.run(["check", "--db", directory + "/a.sqlite"]).stdout == "ok\n")
        let twice = try Self.run(["seed", "--demo", "--db", directory + "/a.sqlite"])
        #expect(twice.status == 1 && twice.stderr.contains("already holds"))
        #expect(try Self.run(["seed", "--db", directory + "/c.sqlite"]).status == 2, "--demo is required")
        // The seed leaves no key of its own behind.
        #expect(try Self.run(["keys", "list", "--db", directory + "/a.sqlite"]).stdout.contains("revoked"))
    }

    @Test func helpAndUsageErrors() throws {
        let help = try Self.run(["serve", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--max-body-bytes") && help.stdout.contains("KITH_MAX_BODY_BYTES"))
        #expect(try Self.run([]).status == 2)
        #expect(try Self.run(["frobnicate"]).status == 2)
        #expect(try Self.run(["serve", "--port", "99999"]).stderr.contains("--port must be"))
    }

    /// Found by benchmarking: a port already in use crashed the process (SIGILL) instead of
    /// ending it with an error an operator can read.
    @Test func aPortInUseIsAnErrorNotACrash() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try TestServer()
        defer { server.stop() }
        let run = try Self.run(["serve", "--db", directory + "/busy.sqlite", "--port", String(server.port)])
        #expect(run.status == 1, "exit status \(run.status), stderr: \(run.stderr)")
        #expect(run.stderr.lowercased().contains("address already in use") || run.stderr.contains("bind"), "\(run.stderr)")
    }

    @Test func theBinaryEmbedsTheMigrationFilesByteForByte() throws {
        let folder = URL(fileURLWithPath: OpenAPITests.specPath).deletingLastPathComponent().appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(EmbeddedResources.migrations.map(\.name) == files)
        for (name, sql) in EmbeddedResources.migrations {
            #expect(sql == (try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)))
        }
    }
}

/// A server process: first start, graceful stop, and durability across `kill -9`.
@Suite(.serialized) struct ServeProcessTests {
    final class Server {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()
        var port = 0

        init(db: String) throws {
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = ["serve", "--db", db, "--port", "0", "--shutdown-grace", "2"]
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            // The listening line on stderr carries the port the kernel chose.
            var log = ""
            let deadline = Date().addingTimeInterval(10)
            while port == 0 && Date() < deadline {
                let data = stderr.fileHandleForReading.availableData
                if data.isEmpty { break }
                log += String(decoding: data, as: UTF8.self)
                if let range = log.range(of: #"http://127.0.0.1:(\d+)"#, options: .regularExpression) {
                    port = Int(log[range].split(separator: ":").last ?? "") ?? 0
                }
            }
            guard port != 0 else { process.terminate(); throw TestClientError("server did not start: \(log)") }
        }

        func request(_ method: String, _ path: String, key: String?, json: String? = nil) throws -> TestResponse {
            let connection = try RawConnection(port: port)
            var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            if let key { head += "Authorization: Bearer \(key)\r\n" }
            let body = Array((json ?? "").utf8)
            if json != nil { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
            try connection.send(Array((head + "\r\n").utf8) + body)
            return try connection.readResponse()
        }
    }

    @Test func firstStartPrintsAnAdminKeyAndSIGTERMStopsCleanly() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try Server(db: directory + "/s.sqlite")
        let line = String(decoding: server.stdout.fileHandleForReading.availableData, as: UTF8.self)
        let key = line.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("kith_"))
        #expect(try server.request("GET", "/v1/me", key: key).status == 200)
        server.process.terminate()   // SIGTERM
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        let log = String(decoding: server.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("\"message\":\"stopped\""))
        #expect(log.contains("\"path\":\"/v1/me\""), "the access log has the request")
        #expect(!log.contains(key), "keys never reach the log")
        #expect(try Database(path: directory + "/s.sqlite").check().isEmpty)
    }

    @Test func anAcknowledgedWriteSurvivesKill9() throws {
        let directory = try TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = directory + "/d.sqlite"
        let server = try Server(db: db)
        let key = String(decoding: server.stdout.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var ids: [String] = []
        for i in 0..<20 {
            let created = try server.request("POST", "/v1/keys", key: key, json: #"{"name": "durable \#(i)", "role": "viewer"}"#)
            #expect(created.status == 201)
            if let id = created.object["id"] as? String { ids.append(id) }
        }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        let reopened = try Database(path: db)
        for id in ids {
            #expect(try reopened.scalarInt("SELECT count(*) FROM api_keys WHERE id = ?", [id]) == 1, "\(id) was acknowledged with 201")
        }
        #expect(try reopened.check().isEmpty)
    }
}
