import HTTP1
import SQLiteStore

/// `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): the first response is
/// stored in the same transaction as the change it reports, and a retry with the same key and
/// the same request gets it back without the work being done twice.
enum Idempotency {
    struct Stored {
        var fingerprint: String
        var response: HTTPResponse
    }

    /// Headers worth replaying; the rest (rate limits, request id, CORS) belong to the new request.
    private static let replayedHeaders: Set<String> = ["content-type", "location", "etag"]

    static func validate(_ key: String) throws {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw Problem.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID.",
                                     errors: [FieldError("Idempotency-Key", "must be 1 to 255 visible ASCII characters")])
        }
    }

    /// Method, target and body: the same key with anything different is a different request.
    static func fingerprint(_ request: HTTPRequest) -> String {
        Digest.sha256Hex(Array("\(request.method.rawValue) \(request.target)\n".utf8) + request.body)
    }

    static func find(_ db: Database, client: String, key: String) throws -> Stored? {
        try db.queryOne("SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE client = ? AND key = ?",
                        [client, key]) { row in
            var response = HTTPResponse(status: row.int(1), body: row.blob(3))
            if case .array(let pairs)? = try? JSON.parse(row.string(2)) {
                for pair in pairs {
                    if case .array(let nv) = pair, nv.count == 2, let name = nv[0].stringValue, let value = nv[1].stringValue {
                        response.headers.add(name, value)
                    }
                }
            }
            response.headers.add("Idempotent-Replayed", "true")
            return Stored(fingerprint: row.string(0), response: response)
        }
    }

    static func store(_ db: Database, client: String, key: String, fingerprint: String, response: HTTPResponse, now: Timestamp) throws {
        let headers = JSON.array(response.headers.fields
            .filter { replayedHeaders.contains($0.name.lowercased()) }
            .map { JSON.array([.string($0.name), .string($0.value)]) })
        try db.run("""
            INSERT INTO idempotency_keys(client, key, fingerprint, status, headers, body, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [client, key, fingerprint, response.status, headers.encodedString(), response.body, now.rfc3339])
    }

    /// Forgets responses older than the retention period.
    static func purge(_ db: Database, before: Timestamp) throws -> Int {
        try db.run("DELETE FROM idempotency_keys WHERE created_at < ?", [before.rfc3339])
    }
}

/// Periodic clean-up the application runs (hourly and at start).
public enum Housekeeping {
    /// Forgets stored idempotent responses past their retention; returns how many.
    public static func purgeIdempotencyKeys(_ services: Services) throws -> Int {
        let cutoff = services.clock.now().adding(seconds: -services.settings.idempotencyRetentionSeconds)
        return try services.database.write { db in try Idempotency.purge(db, before: cutoff) }
    }
}
