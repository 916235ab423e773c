import Synchronization
import Areas
import Dispatch
import Groups
import Matching
import Networks
import People
import TimeCredits
import Funding
import Impact
import HTTP1
import HTTPServer
import KithCore
import SQLiteStore

/// Kith assembled: the store, the modules' routes behind the pipeline, and the HTTP server.
public final class KithApplication: Sendable {
    /// Every module, each registering its own routes. Adding a module is one line here.
    public static let modules: [any KithModule] = [
        PlatformModule(),
        AreasModule(),
        GroupsModule(),
        NetworksModule(),
        PeopleModule(holders: [MatchingPersonalData(), TimeCreditsPersonalData()]),
        MatchingModule(contactListeners: [ContactCredits()]),
        TimeCreditsModule(),
        FundingModule(),
        ImpactModule(sources: [MatchingEngagement(), TimeCreditsEngagement(), NetworkEngagement(), FundingEngagement()]),
    ]

    public let configuration: AppConfiguration
    public let services: Services
    public let pipeline: Pipeline
    public let server: HTTPServer
    public let log: LogSink
    public let router: Router
    private let housekeeping: DispatchHandle<any DispatchSourceTimer>
    /// Whether `start()` ran: a dispatch source must be resumed before it is released, even
    /// when the application was only used in-process (e.g. `kith seed`) and never served.
    private let started = Atomic<Bool>(false)

    /// Opens and migrates the database and builds everything; call `start()` to listen.
    public init(configuration: AppConfiguration, clock: any WallClock = SystemClock(), log: LogSink = LogSink()) throws {
        self.configuration = configuration
        self.log = log
        let (pool, applied) = try KithStore.open(configuration, clock: clock)
        for name in applied { log.event("info", "applied migration \(name)") }
        services = Services(database: pool, clock: clock, settings: configuration.settings)

        var router = Router()
        for module in Self.modules { module.register(&router) }
        self.router = router
        pipeline = Pipeline(router: router, services: services) { requestId, message in
            log.event("error", message, [("request_id", .string(requestId))])
        }
        server = HTTPServer(configuration: configuration.server,
                            responder: Responder(pipeline: pipeline, log: configuration.accessLog ? log : nil))

        let services = self.services
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kith.housekeeping"))
        timer.schedule(deadline: .now() + .seconds(5), repeating: .seconds(3600), leeway: .seconds(60))
        timer.setEventHandler {
            do {
                // Hourly: keep the planner's statistics current as the data grows.
                try services.database.withWriter { $0.refreshStatistics() }
                let purged = try Housekeeping.purgeIdempotencyKeys(services)
                if purged > 0 { log.event("info", "purged \(purged) expired idempotency records") }
            } catch {
                log.event("error", "housekeeping failed: \(error)")
            }
        }
        housekeeping = DispatchHandle(timer)
    }

    public func start() throws {
        do {
            try server.start()
        } catch {
            // libdispatch traps when a suspended timer is released: resume it cancelled.
            housekeeping.value.cancel()
            if started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged { housekeeping.value.resume() }
            throw error
        }
        if started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged { housekeeping.value.resume() }
    }

    /// The port being served (after `start()`).
    public var port: Int { server.port }

    /// Graceful stop: no new connections, requests in flight finish, then the database is
    /// optimised, checkpointed and closed.
    public func shutdown() {
        server.shutdown()
        housekeeping.value.cancel()
        if started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged { housekeeping.value.resume() }
        services.database.close()
        log.flush()
    }
}

/// Adapts the pipeline to the server's responder protocol, and feeds the access log.
struct Responder: HTTPResponder {
    let pipeline: Pipeline
    let log: LogSink?

    func respond(to request: HTTPRequest, info: RequestInfo) -> HTTPResponse {
        pipeline.handle(request, requestId: info.requestId, remoteAddress: info.remoteAddress)
    }

    func respond(toMalformed error: HTTPParseError, info: RequestInfo) -> HTTPResponse {
        pipeline.malformed(error, requestId: info.requestId)
    }

    func log(_ entry: AccessLogEntry) { log?.access(entry) }

    func connectionCountChanged(to count: Int) { pipeline.services.metrics.setOpenConnections(count) }
}

/// Dispatch objects are thread-safe but not marked `Sendable`.
struct DispatchHandle<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
