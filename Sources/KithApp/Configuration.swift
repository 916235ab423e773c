import HTTPServer
import KithCore
import SQLiteStore

/// Everything `kith serve` can be told, from flags or `KITH_*` environment variables.
public struct AppConfiguration: Sendable {
    public var databasePath = "./kith.sqlite"
    public var server = ServerConfiguration()
    public var settings = Settings()
    public var database = DatabaseConfiguration()
    /// Write one JSON line per request to stderr.
    public var accessLog = true

    public init() {}
}

/// A command-line option: `--name VALUE`, or `KITH_NAME=VALUE` in the environment.
public struct Option: Sendable {
    public let name: String
    public let valueName: String
    public let help: String
    let apply: @Sendable (inout AppConfiguration, String) throws -> Void

    public var environmentName: String {
        "KITH_" + name.uppercased().map { $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }
}

public struct UsageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension AppConfiguration {
    private static func int(_ name: String, _ text: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    private static func seconds(_ name: String, _ text: String) throws -> Double {
        guard let value = Double(text), value > 0, value <= 86_400 else {
            throw UsageError("--\(name) must be a number of seconds above 0, not '\(text)'")
        }
        return value
    }

    /// Options shared by every command that opens the database.
    public static let databaseOptions: [Option] = [
        Option(name: "db", valueName: "FILE", help: "SQLite database file (created and migrated if missing) [./kith.sqlite]") {
            $0.databasePath = $1
        },
        Option(name: "synchronous", valueName: "normal|full",
               help: "normal: commits survive a crash of the process; full: also a power loss, slower [normal]") {
            guard let mode = DatabaseConfiguration.Synchronous(rawValue: $1.uppercased()) else {
                throw UsageError("--synchronous must be normal or full")
            }
            $0.database.synchronous = mode
        },
    ]

    /// Options of `kith serve`.
    public static let serveOptions: [Option] = databaseOptions + [
        Option(name: "host", valueName: "ADDRESS", help: "address to listen on [127.0.0.1]") { $0.server.host = $1 },
        Option(name: "port", valueName: "PORT", help: "port to listen on, 0 for any free port [8080]") {
            $0.server.port = try int("port", $1, 0...65535)
        },
        Option(name: "cors-origins", valueName: "LIST", help: "comma-separated browser origins allowed to call the API, or * [none]") {
            $0.settings.corsOrigins = $1.split(separator: ",").map { $0.trimmingOWS() }.filter { !$0.isEmpty }
        },
        Option(name: "max-body-bytes", valueName: "N", help: "largest request body, 413 beyond [1048576]") {
            $0.server.parserLimits.maxBodyBytes = try int("max-body-bytes", $1, 1...(256 << 20))
        },
        Option(name: "max-request-line", valueName: "N", help: "longest request line, 414 beyond [8192]") {
            $0.server.parserLimits.maxRequestLine = try int("max-request-line", $1, 64...(1 << 20))
        },
        Option(name: "max-header-bytes", valueName: "N", help: "largest header section, 431 beyond [32768]") {
            $0.server.parserLimits.maxHeaderBytes = try int("max-header-bytes", $1, 256...(1 << 20))
        },
        Option(name: "max-headers", valueName: "N", help: "most header fields in a request, 431 beyond [100]") {
            $0.server.parserLimits.maxHeaderCount = try int("max-headers", $1, 1...10_000)
        },
        Option(name: "header-timeout", valueName: "SECONDS", help: "time to send a request head, then 408 [10]") {
            $0.server.headerTimeout = try seconds("header-timeout", $1)
        },
        Option(name: "body-timeout", valueName: "SECONDS", help: "time to send a request body, then 408 [30]") {
            $0.server.bodyTimeout = try seconds("body-timeout", $1)
        },
        Option(name: "idle-timeout", valueName: "SECONDS", help: "idle keep-alive connections close after [60]") {
            $0.server.idleTimeout = try seconds("idle-timeout", $1)
        },
        Option(name: "write-timeout", valueName: "SECONDS", help: "a client that stops reading is dropped after [30]") {
            $0.server.writeTimeout = try seconds("write-timeout", $1)
        },
        Option(name: "max-connections", valueName: "N", help: "open connections beyond this get 503 [1024]") {
            $0.server.maxConnections = try int("max-connections", $1, 1...100_000)
        },
        Option(name: "shutdown-grace", valueName: "SECONDS", help: "how long shutdown waits for requests in flight [10]") {
            $0.server.shutdownGrace = try seconds("shutdown-grace", $1)
        },
        Option(name: "workers", valueName: "N", help: "serial worker queues connections are spread over [2 x cores, at least 4]") {
            $0.server.workers = try int("workers", $1, 1...256)
        },
        Option(name: "grant-id-prefix", valueName: "PREFIX", help: "360Giving identifier prefix for published grants [360G-kith]") {
            guard $1.hasPrefix("360G-"), $1.count <= 40, $1.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw UsageError("--grant-id-prefix must be a 360Giving prefix such as 360G-walthamforest")
            }
            $0.settings.grantIdentifierPrefix = $1
        },
        Option(name: "trusted-proxies", valueName: "LIST", help: "addresses of reverse proxies whose X-Forwarded-For names the client [none]") {
            $0.settings.trustedProxies = Set($1.split(separator: ",").map { $0.trimmingOWS() }.filter { !$0.isEmpty })
        },
        Option(name: "readers", valueName: "N", help: "SQLite reader connections [4]") {
            $0.database.readers = try int("readers", $1, 1...64)
        },
        Option(name: "rate-limit-key", valueName: "N", help: "requests per minute per API key [1200]") {
            $0.settings.rateLimits.perKey.limit = try int("rate-limit-key", $1, 1...10_000_000)
        },
        Option(name: "rate-limit-anonymous", valueName: "N", help: "requests per minute per client without a key [300]") {
            $0.settings.rateLimits.anonymous.limit = try int("rate-limit-anonymous", $1, 1...10_000_000)
        },
        Option(name: "rate-limit-anonymous-writes", valueName: "N", help: "writes per minute per client without a key [20]") {
            $0.settings.rateLimits.anonymousWrites.limit = try int("rate-limit-anonymous-writes", $1, 1...10_000_000)
        },
        Option(name: "rate-limits", valueName: "on|off", help: "off only for load tests [on]") {
            guard $1 == "on" || $1 == "off" else { throw UsageError("--rate-limits must be on or off") }
            $0.settings.rateLimits.enabled = $1 == "on"
        },
        Option(name: "access-log", valueName: "on|off", help: "one JSON line per request on stderr [on]") {
            guard $1 == "on" || $1 == "off" else { throw UsageError("--access-log must be on or off") }
            $0.accessLog = $1 == "on"
        },
    ]

    /// Applies environment variables, then flags (flags win). Returns the arguments left over.
    public static func parse(_ arguments: [String], environment: [String: String], options: [Option]) throws
        -> (AppConfiguration, rest: [String]) {
        var configuration = AppConfiguration()
        for option in options {
            if let value = environment[option.environmentName], !value.isEmpty { try option.apply(&configuration, value) }
        }
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument != "--" else { rest.append(argument); continue }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else { rest.append(argument); continue }
            if value == nil {
                guard index < arguments.count else { throw UsageError("--\(name) needs a value (\(option.valueName))") }
                value = arguments[index]
                index += 1
            }
            try option.apply(&configuration, value ?? "")
        }
        return (configuration, rest)
    }

    public static func help(for options: [Option]) -> String {
        options.map { option in
            let flag = "  --\(option.name) \(option.valueName)"
            let padded = flag.count < 34 ? flag + String(repeating: " ", count: 34 - flag.count) : flag + "\n" + String(repeating: " ", count: 34)
            return padded + option.help + "\n" + String(repeating: " ", count: 34) + "env " + option.environmentName
        }.joined(separator: "\n")
    }
}
