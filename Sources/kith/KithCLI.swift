// The `kith` command line: serve, migrate, keys, backup, check.
import Dispatch
import KithApp
import KithCore
import SQLiteStore
#if canImport(Glibc)
import Glibc
#endif

func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    _ = line.withCString { write(2, $0, strlen($0)) }
}

func environment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
        pointer += 1
    }
    return result
}

@main
enum KithCLI {
    static let usage = """
        kith: the community-integration programme service.

        Usage:
          kith serve [options]                  run the HTTP API (migrates the database first)
          kith migrate [--db FILE]              apply pending migrations and list them
          kith keys create --role ROLE --name NAME [--scope KIND:ID] [--expires-at TIME] [--db FILE]
                                                make an API key; prints the key alone on stdout
          kith keys list [--db FILE]            list keys (never the secrets)
          kith keys revoke ID [--db FILE]       revoke a key at once
          kith backup FILE [--db FILE]          copy the live database with SQLite's online backup
          kith check [--db FILE]                integrity_check, foreign_key_check, the credits ledger
          kith seed --demo [--seed N] [--db FILE]  fill an empty database with a made-up demo borough
          kith COMMAND --help                   options of a command

        Every option can also be set as an environment variable, e.g. --db as KITH_DB.
        """

    struct Command: Sendable {
        let name: String
        let summary: String
        let options: [Option]
        let run: @Sendable ([String], AppConfiguration) throws -> Int32
    }

    static func open(_ configuration: AppConfiguration) throws -> DatabasePool {
        let (pool, applied) = try KithStore.open(configuration)
        for name in applied { printError("applied migration \(name)") }
        return pool
    }

    /// `--name value` pairs a subcommand takes beyond the shared options.
    static func flags(_ arguments: [String], allowed: Set<String>) throws -> (values: [String: String], positional: [String]) {
        var values: [String: String] = [:]
        var positional: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2))
                var value: String?
                if let equals = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                guard allowed.contains(name) else { throw UsageError("unknown option --\(name)") }
                if value == nil {
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                values[name] = value
            } else {
                positional.append(argument)
            }
        }
        return (values, positional)
    }

    static let serve = Command(name: "serve", summary: "kith serve [options]: run the HTTP API", options: AppConfiguration.serveOptions) { rest, configuration in
        guard rest.isEmpty else { throw UsageError("unexpected arguments: \(rest.joined(separator: " "))") }
        let application = try KithApplication(configuration: configuration)
        if let secret = try KithStore.bootstrapAdminKey(application.services.database, clock: SystemClock()) {
            printError("""
                No API keys existed, so Kith created one admin key. It is printed once, below, on stdout;
                keep it safe. Make more with `kith keys create --role ROLE --name NAME` or POST /v1/keys.
                """)
            _ = (secret + "\n").withCString { write(1, $0, strlen($0)) }
        }
        // Graceful shutdown on SIGINT and SIGTERM, set up before the listening line: a supervisor
        // that stops the server as soon as it says it is listening must not have its signal lost.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let stopQueue = DispatchQueue(label: "kith.signals")
        var signalSources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: stopQueue)
            source.setEventHandler {
                application.log.event("info", "shutting down: finishing requests in flight")
                application.shutdown()
                application.log.event("info", "stopped")
                application.log.flush()
                exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
        try application.start()
        application.log.event("info", "kith listening", [
            ("address", .string("http://\(configuration.server.host):\(application.port)")),
            ("database", .string(configuration.databasePath)),
            ("synchronous", .string(configuration.database.synchronous.rawValue)),
        ])
        application.log.flush()

        withExtendedLifetime(signalSources) { dispatchMain() }
    }

    static let migrate = Command(name: "migrate", summary: "kith migrate [--db FILE]: apply pending migrations", options: AppConfiguration.databaseOptions) { rest, configuration in
        guard rest.isEmpty else { throw UsageError("unexpected arguments: \(rest.joined(separator: " "))") }
        let pool = try open(configuration)
        defer { pool.close() }
        let applied = try pool.withWriter { db in try KithStore.migrator().applied(in: db) }
        for record in applied { print("\(record.name)  applied \(record.appliedAt)  sha256 \(record.checksum.prefix(12))") }
        return 0
    }

    static let keys = Command(name: "keys", summary: """
        kith keys create --role ROLE --name NAME [--scope KIND:ID] [--expires-at RFC3339] [--db FILE]
        kith keys list [--db FILE]
        kith keys revoke ID [--db FILE]

        Roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))
        Scopes: \(Scope.Kind.allCases.map { "\($0.rawValue):ID" }.joined(separator: ", "))
        """, options: AppConfiguration.databaseOptions) { rest, configuration in
        guard let action = rest.first else { throw UsageError("kith keys needs create, list or revoke") }
        let arguments = Array(rest.dropFirst())
        let clock = SystemClock()
        switch action {
        case "create":
            let (values, positional) = try flags(arguments, allowed: ["role", "name", "scope", "expires-at"])
            guard positional.isEmpty else { throw UsageError("unexpected arguments: \(positional.joined(separator: " "))") }
            guard let roleName = values["role"], let role = Role(rawValue: roleName) else {
                throw UsageError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let name = values["name"], !name.isEmpty, name.count <= 100 else { throw UsageError("--name is required (1 to 100 characters)") }
            var scope: Scope?
            if let text = values["scope"] {
                guard let parsed = Scope(text) else { throw UsageError("--scope must be KIND:ID, e.g. area:waltham-forest") }
                scope = parsed
            }
            var expiresAt: Timestamp?
            if let text = values["expires-at"] {
                guard let parsed = Timestamp(rfc3339: text), parsed > clock.now() else {
                    throw UsageError("--expires-at must be a future RFC 3339 time, e.g. 2027-01-31T00:00:00Z")
                }
                expiresAt = parsed
            }
            let pool = try open(configuration)
            defer { pool.close() }
            let (record, secret) = try pool.write { db in
                try APIKeys.create(Transaction(db: db, actor: .system, now: clock.now()), name: name, role: role, scope: scope,
                                   expiresAt: expiresAt, createdBy: nil)
            }
            printError("created \(record.id) (\(role.rawValue)\(scope.map { ", scope \($0)" } ?? "")); the key is shown once:")
            print(secret)
            return 0
        case "list":
            guard arguments.isEmpty else { throw UsageError("unexpected arguments: \(arguments.joined(separator: " "))") }
            let pool = try open(configuration)
            defer { pool.close() }
            let now = clock.now()
            var after: [String]?
            print("ID                              ROLE         STATUS   SCOPE                     HINT          NAME")
            while true {
                let batch = try pool.read { db in try APIKeys.list(db, filter: APIKeys.Filter(), now: now, after: after, limit: 200) }
                for key in batch {
                    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
                    print(pad(key.id, 32) + pad(key.role.rawValue, 13) + pad(key.status(at: now), 9) + pad(key.scope?.description ?? "-", 26)
                          + pad(key.hint + "…", 14) + key.name)
                }
                guard batch.count == 200, let last = batch.last else { break }
                after = [last.createdAt, last.id]
            }
            return 0
        case "revoke":
            let (_, positional) = try flags(arguments, allowed: [])
            guard positional.count == 1, let id = positional.first else { throw UsageError("kith keys revoke needs one key id") }
            let pool = try open(configuration)
            defer { pool.close() }
            let outcome = try pool.write { db -> String in
                guard try APIKeys.find(db, id: id) != nil else { return "missing" }
                return try APIKeys.revoke(Transaction(db: db, actor: .system, now: clock.now()), id: id) ? "revoked" : "already"
            }
            switch outcome {
            case "missing": printError("no key \(id)"); return 1
            case "already": printError("\(id) was already revoked"); return 0
            default: printError("revoked \(id)"); return 0
            }
        default:
            throw UsageError("kith keys needs create, list or revoke, not \(action)")
        }
    }

    static let backup = Command(name: "backup", summary: "kith backup FILE [--db FILE]: online copy of the database", options: AppConfiguration.databaseOptions) { rest, configuration in
        guard rest.count == 1, let destination = rest.first else { throw UsageError("kith backup needs one destination file") }
        guard access(destination, F_OK) != 0 else { throw UsageError("\(destination) exists; choose a new file") }
        let pool = try open(configuration)
        defer { pool.close() }
        try pool.read { db in try db.backup(to: destination) }
        let problems = try Database(path: destination).check()
        guard problems.isEmpty else { printError("backup written but it fails its check: \(problems.joined(separator: "; "))"); return 1 }
        printError("backed up \(configuration.databasePath) to \(destination) (integrity checked)")
        return 0
    }

    static let check = Command(name: "check", summary: "kith check [--db FILE]: integrity_check, foreign_key_check and the modules' own checks (the credits ledger)", options: AppConfiguration.databaseOptions) { rest, configuration in
        guard rest.isEmpty else { throw UsageError("unexpected arguments: \(rest.joined(separator: " "))") }
        guard access(configuration.databasePath, F_OK) == 0 else { throw UsageError("no database at \(configuration.databasePath)") }
        let pool = try open(configuration)
        defer { pool.close() }
        let problems = try pool.read { db in try db.check() + KithApplication.modules.flatMap { try $0.check(db) } }
        if problems.isEmpty {
            print("ok")
            return 0
        }
        for problem in problems { print(problem) }
        return 1
    }


    static let seed = Command(name: "seed", summary: "kith seed --demo [--seed N] [--db FILE]: fill an empty database with a made-up borough",
                              options: AppConfiguration.databaseOptions) { rest, configuration in
        let (values, positional) = try flags(rest.map { $0 == "--demo" ? "--demo=yes" : $0 }, allowed: ["demo", "seed"])
        guard positional.isEmpty else { throw UsageError("unexpected arguments: \(positional.joined(separator: " "))") }
        guard values["demo"] == "yes" else { throw UsageError("say --demo: the only seed is the demo borough") }
        let seed = try values["seed"].map { text -> UInt64 in
            guard let n = UInt64(text) else { throw UsageError("--seed must be a whole number, not '\(text)'") }
            return n
        } ?? 20261126
        var quiet = configuration
        quiet.accessLog = false
        let application = try KithApplication(configuration: quiet)
        defer { application.shutdown() }
        let started = SystemClock().now()
        let summary = try DemoBorough.seed(application, seed: seed)
        let tenths = (SystemClock().now().millisecondsSinceEpoch - started.millisecondsSinceEpoch) / 100
        printError("seeded the demo borough (seed \(seed)) in \(tenths / 10).\(tenths % 10) s:")
        for (name, count) in summary.counts { print("\(name)\t\(count)") }
        return 0
    }

    static func main() {
        let commands = [serve, migrate, keys, backup, check, seed]
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
            print(usage)
            exit(arguments.isEmpty ? 2 : 0)
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            printError("kith: unknown command '\(name)'\n\n\(usage)")
            exit(2)
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(command.summary + "\n\nOptions:\n" + AppConfiguration.help(for: command.options))
            exit(0)
        }
        do {
            let (configuration, remaining) = try AppConfiguration.parse(rest, environment: environment(), options: command.options)
            exit(try command.run(remaining, configuration))
        } catch let error as UsageError {
            printError("kith \(name): \(error.description)\nTry kith \(name) --help.")
            exit(2)
        } catch {
            printError("kith \(name): \(error)")
            exit(1)
        }

    }
}
