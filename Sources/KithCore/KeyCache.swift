import Synchronization

/// Recently verified keys, so a busy client's requests do not each look their key up again.
///
/// An entry lives `ttlSeconds` (default 5). Changes made through this process (revoking, editing
/// a key over HTTP) clear the cache at once; a change made by another process (`kith keys revoke`
/// on the command line) takes effect within the TTL. Expiry is checked on every use.
public final class KeyCache: Sendable {
    private struct Entry: Sendable {
        var principal: Principal
        var expiresAt: Timestamp?
        var cachedAt: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let ttlMilliseconds: Int64
    private let capacity: Int

    public init(ttlSeconds: Int64 = 5, capacity: Int = 10_000) {
        ttlMilliseconds = ttlSeconds * 1000
        self.capacity = capacity
    }

    /// The cached principal for a key hash, if fresh and not expired.
    func lookup(hash: String, now: Timestamp) -> Principal? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now.millisecondsSinceEpoch - entry.cachedAt < ttlMilliseconds,
                  entry.expiresAt.map({ now < $0 }) ?? true else {
                entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(hash: String, principal: Principal, expiresAt: Timestamp?, now: Timestamp) {
        guard ttlMilliseconds > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = Entry(principal: principal, expiresAt: expiresAt, cachedAt: now.millisecondsSinceEpoch)
        }
    }

    /// Forgets everything: called after any change to a key.
    public func invalidateAll() {
        entries.withLock { $0.removeAll(keepingCapacity: true) }
    }
}
