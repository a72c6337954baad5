#if canImport(Glibc)
import Glibc
import HTTP2Transport
#endif

/// A mutex with a condition variable, for the few places a thread must wait: a scan thread
/// waiting for room in the in-flight window, the retry timer, callers waiting for a send to end.
///
/// `@unchecked Sendable`: the pthread mutex and condition are heap-allocated once and only
/// used through `pthread_*` calls, which are thread-safe; the protected state lives in callers
/// and is only touched inside ``withLock(_:)``.
final class Monitor: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
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
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (mutex held) until signalled or until the monotonic deadline; nil waits indefinitely.
    func wait(untilNanoseconds deadline: UInt64? = nil) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        _ = pthread_cond_timedwait(condition, mutex, &ts)
    }

    /// Wakes every waiter.
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Starts a detached thread running `body` (scan and timer threads: they block, so they stay
/// off Swift's cooperative pool).
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {  // handed to exactly one thread, read once
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    pthread_detach(thread)
}
