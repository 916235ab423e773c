// swift-tools-version:6.0
// Kith: no Swift package dependencies. System C libraries come in through module maps.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "kith",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kith", targets: ["kith"]),
    ],
    targets: [
        // System libraries (Debian: libsqlite3-dev, libssl-dev).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        // epoll from libc (Swift's Glibc module does not export it), for the worker queues' event sets.
        .systemLibrary(name: "CEpoll"),

        // HTTP/1.1: a pure parser and encoder, then the socket server on Dispatch.
        .target(name: "HTTP1", swiftSettings: strict),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "CEpoll"], swiftSettings: strict),

        // SQLite: connections, statements, transactions, reader pool, migrator, backup.
        .target(name: "SQLiteStore", dependencies: ["CSQLite", "CCrypto"], swiftSettings: strict),

        // What every service module shares: router, context, problems, JSON, paging, auth, audit.
        .target(name: "KithCore", dependencies: ["HTTP1", "SQLiteStore", "CCrypto"], swiftSettings: strict),

        // Service modules, one target each; each owns its tables and routes.
        .target(name: "Areas", dependencies: ["KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "Groups", dependencies: ["Areas", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "Networks", dependencies: ["Areas", "Groups", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "People", dependencies: ["Areas", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "Matching", dependencies: ["Areas", "Groups", "People", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "TimeCredits", dependencies: ["Areas", "Groups", "People", "Matching", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "Funding", dependencies: ["Areas", "Groups", "Networks", "TimeCredits", "KithCore", "SQLiteStore"], swiftSettings: strict),
        .target(name: "Impact", dependencies: ["Areas", "Groups", "Networks", "People", "Matching", "TimeCredits", "Funding", "KithCore", "SQLiteStore"],
                swiftSettings: strict),

        // migrations/*.sql and openapi.yaml compiled into the binary, so `kith` is one file.
        .executableTarget(name: "EmbedResourcesTool", path: "Sources/EmbedResourcesTool"),
        .plugin(name: "EmbedResources", capability: .buildTool(), dependencies: ["EmbedResourcesTool"]),
        .target(name: "KithResources", swiftSettings: strict, plugins: ["EmbedResources"]),

        // Wiring: configuration, store, modules and server; then the CLI.
        .target(
            name: "KithApp",
            dependencies: ["KithCore", "HTTPServer", "SQLiteStore", "KithResources", "Areas", "Groups", "Networks", "People", "Matching", "TimeCredits", "Funding", "Impact"],
            swiftSettings: strict
        ),
        .executableTarget(name: "kith", dependencies: ["KithApp"], swiftSettings: strict),

        // Tests: a live-server helper, then one target per library.
        .target(
            name: "KithTestSupport",
            dependencies: ["KithApp", "HTTP1", "SQLiteStore"],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"], swiftSettings: strict),
        .testTarget(name: "KithCoreTests", dependencies: ["KithCore", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "KithAppTests", dependencies: ["KithApp", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "AreasTests", dependencies: ["Areas", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "KithTestSupport", "SQLiteStore"], swiftSettings: strict),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "People", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "TimeCreditsTests", dependencies: ["TimeCredits", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "FundingTests", dependencies: ["Funding", "KithTestSupport"], swiftSettings: strict),
        .testTarget(name: "ImpactTests", dependencies: ["Impact", "KithTestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
