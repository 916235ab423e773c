#if canImport(Glibc)
import Glibc
#endif

/// A plain mutex for guarding state that is not `Sendable` (SQLite connections) and for work that
/// returns non-`Sendable` values, where `Synchronization.Mutex` would demand `sending` results.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Takes the lock if it is free; false (without waiting) if another thread holds it.
    public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
