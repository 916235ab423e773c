import SQLiteStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Counters for `GET /metrics` (Prometheus text format 0.0.4).
public final class Metrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct RequestKey: Hashable, Sendable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Histogram: Sendable {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var sum = 0.0
        var total = 0
    }

    private struct State: Sendable {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
        var rateLimited = 0
    }

    /// Striped by thread, so request threads do not queue on one lock to count.
    private let shards: [Shard] = (0..<8).map { _ in Shard() }

    private final class Shard: Sendable {
        let state = Mutex(State())
    }
    private let connections = Atomic<Int>(0)
    private let database: DatabasePool

    init(database: DatabasePool) { self.database = database }

    public func setOpenConnections(_ count: Int) { connections.store(count, ordering: .relaxed) }

    func record(method: String, route: String, status: Int, seconds: Double) {
        var hasher = Hasher()
        hasher.combine(UInt(pthread_self()))
        shards[(hasher.finalize() & Int.max) % shards.count].state.withLock { state in
            state.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            // Updated in place: a copy taken out and stored back would copy `counts` on every request.
            let index = Metrics.buckets.firstIndex(where: { seconds <= $0 })
            Self.observe(seconds, bucket: index, in: &state.latency[route, default: Histogram()])
            if status == 429 { state.rateLimited += 1 }
        }
    }

    private static func observe(_ seconds: Double, bucket: Int?, in histogram: inout Histogram) {
        if let bucket { histogram.counts[bucket] += 1 }
        histogram.sum += seconds
        histogram.total += 1
    }

    public func render() -> String {
        var snapshot = State()
        for shard in shards {
            let part = shard.state.withLock { $0 }
            snapshot.requests.merge(part.requests, uniquingKeysWith: +)
            snapshot.rateLimited += part.rateLimited
            for (route, histogram) in part.latency {
                var merged = snapshot.latency[route] ?? Histogram()
                for i in merged.counts.indices { merged.counts[i] += histogram.counts[i] }
                merged.sum += histogram.sum
                merged.total += histogram.total
                snapshot.latency[route] = merged
            }
        }
        var out = ""
        out += "# HELP kith_http_requests_total Requests answered, by method, route pattern and status.\n"
        out += "# TYPE kith_http_requests_total counter\n"
        for (key, count) in snapshot.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "kith_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(count)\n"
        }
        out += "# HELP kith_http_request_duration_seconds Time from a complete request to its response, by route pattern.\n"
        out += "# TYPE kith_http_request_duration_seconds histogram\n"
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (index, bound) in Metrics.buckets.enumerated() {
                cumulative += histogram.counts[index]
                out += "kith_http_request_duration_seconds_bucket{route=\"\(Self.escape(route))\",le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "kith_http_request_duration_seconds_bucket{route=\"\(Self.escape(route))\",le=\"+Inf\"} \(histogram.total)\n"
            out += "kith_http_request_duration_seconds_sum{route=\"\(Self.escape(route))\"} \(histogram.sum)\n"
            out += "kith_http_request_duration_seconds_count{route=\"\(Self.escape(route))\"} \(histogram.total)\n"
        }
        out += "# HELP kith_http_open_connections Client connections open now.\n"
        out += "# TYPE kith_http_open_connections gauge\n"
        out += "kith_http_open_connections \(connections.load(ordering: .relaxed))\n"
        out += "# HELP kith_http_rate_limited_total Requests refused with 429.\n"
        out += "# TYPE kith_http_rate_limited_total counter\n"
        out += "kith_http_rate_limited_total \(snapshot.rateLimited)\n"
        out += "# HELP kith_db_busy_retries_total Times a database connection waited for a lock held elsewhere.\n"
        out += "# TYPE kith_db_busy_retries_total counter\n"
        out += "kith_db_busy_retries_total \(database.busy.retries)\n"
        return out
    }

    private static func escape(_ label: String) -> String {
        var out = ""
        for c in label {
            if c == "\\" || c == "\"" { out.append("\\") }
            out.append(c == "\n" ? " " : c)
        }
        return out
    }
}
