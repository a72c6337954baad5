#if canImport(Glibc)
import Glibc
#endif

/// A mutex with a condition variable, for the few places a thread must wait: a scan waiting
/// for room in the in-flight window, the retry timer, a worker waiting for work.
///
/// `@unchecked Sendable`: the pthread mutex and condition are heap-allocated once and only
/// used through `pthread_*` calls, which are thread-safe; the protected state lives in callers
/// and is only touched inside ``withLock(_:)``.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// Creates an unlocked lock whose waits time out on the monotonic clock.
    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex. `body` may call ``wait(untilNanoseconds:)``.
    public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (mutex held) until signalled or until `deadline`, in nanoseconds of
    /// `CLOCK_MONOTONIC`; nil waits until signalled.
    public func wait(untilNanoseconds deadline: UInt64? = nil) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        _ = pthread_cond_timedwait(condition, mutex, &ts)
    }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A value guarded by a ``ConditionLock`` its owner holds: touch ``value`` only inside that
/// lock's `withLock`. `@unchecked Sendable` for that reason; the owner documents which lock.
public final class ConditionGuarded<Value>: @unchecked Sendable {
    /// The guarded value.
    public var value: Value

    /// Creates the box.
    public init(_ value: Value) { self.value = value }
}
