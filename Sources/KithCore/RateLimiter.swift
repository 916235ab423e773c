import Synchronization

/// A limit of `limit` requests per `windowSeconds`, refilled continuously (token bucket).
public struct RateLimitRule: Sendable, Equatable {
    public var name: String
    public var limit: Int
    public var windowSeconds: Int

    public init(name: String, limit: Int, windowSeconds: Int) {
        self.name = name
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
    public var policyHeader: String { "\"\(name)\";q=\(limit);w=\(windowSeconds)" }
}

public struct RateLimitSettings: Sendable {
    /// Per API key.
    public var perKey = RateLimitRule(name: "key", limit: 1200, windowSeconds: 60)
    /// Per client address, for callers without a key.
    public var anonymous = RateLimitRule(name: "anonymous", limit: 300, windowSeconds: 60)
    /// Per client address, for writes without a key (on top of `anonymous`).
    public var anonymousWrites = RateLimitRule(name: "anonymous-write", limit: 20, windowSeconds: 60)
    /// Off only for benchmarks and load tests.
    public var enabled = true

    public init() {}
}

/// In-memory token buckets keyed by client (a key id or a client address) and rule.
public final class RateLimiter: Sendable {
    public struct Decision: Sendable {
        public var allowed: Bool
        public var rule: RateLimitRule
        public var remaining: Int
        /// Seconds until a request would be allowed again (0 when allowed).
        public var retryAfter: Int
        /// Seconds until the bucket is full again.
        public var reset: Int

        public var headers: [(String, String)] {
            [("RateLimit-Policy", rule.policyHeader), ("RateLimit", "\"\(rule.name)\";r=\(remaining);t=\(reset)")]
        }
    }

    private struct Bucket: Sendable {
        var tokens: Double
        var updatedAt: Int64
    }

    public let settings: RateLimitSettings
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(settings: RateLimitSettings) { self.settings = settings }

    /// Takes one token from `client`'s bucket for `rule`.
    public func take(_ rule: RateLimitRule, client: String, now: Timestamp) -> Decision {
        let nowMs = now.millisecondsSinceEpoch
        let capacity = Double(rule.limit)
        let perMs = capacity / Double(rule.windowSeconds * 1000)
        let key = rule.name + "|" + client
        return buckets.withLock { buckets in
            if buckets.count > 50_000 { Self.prune(&buckets, now: nowMs, rule: rule) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedAt: nowMs)
            bucket.tokens = min(capacity, bucket.tokens + Double(max(0, nowMs - bucket.updatedAt)) * perMs)
            bucket.updatedAt = nowMs
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            let missing = capacity - bucket.tokens
            let reset = Int((missing / perMs / 1000).rounded(.up))
            let retryAfter = allowed ? 0 : max(1, Int(((1 - bucket.tokens) / perMs / 1000).rounded(.up)))
            return Decision(allowed: allowed, rule: rule, remaining: Int(bucket.tokens), retryAfter: retryAfter, reset: reset)
        }
    }

    /// Drops buckets that have refilled completely: they hold no information.
    private static func prune(_ buckets: inout [String: Bucket], now: Int64, rule: RateLimitRule) {
        let windowMs = Int64(rule.windowSeconds) * 1000
        buckets = buckets.filter { now - $0.value.updatedAt < windowMs }
    }
}
