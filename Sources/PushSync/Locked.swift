public import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `Mutex` in a class, announcing its critical sections to ThreadSanitizer. The one lock
/// type for state shared between threads in the index, the transport and the layers above.
///
/// On Linux a contended `Mutex` is handed over by the kernel (a priority-inheritance futex),
/// which TSan cannot see: without the annotations it reports the lock's own users as racing
/// (the delivery engine's TSan runs did). The runtime's entry points are looked up once; in
/// normal builds they are absent and each annotation is one predictable branch.
public final class Locked<State: ~Copyable>: Sendable {
    @usableFromInline let mutex: Mutex<State>

    /// Creates the lock around `state`.
    public init(_ state: consuming sending State) { mutex = Mutex(state) }

    /// Runs `body` with the state, holding the lock. Inlinable: callers in other modules
    /// specialise it, instead of paying generic metadata lookups on every critical section.
    @inlinable @inline(__always)
    public func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending State) throws(E) -> sending Result) throws(E) -> sending Result {
        try mutex.withLock { (state: inout sending State) throws(E) -> sending Result in
            ThreadSanitizerHooks.acquire(self)
            defer { ThreadSanitizerHooks.release(self) }
            return try body(&state)
        }
    }
}

extension Locked where State: ~Copyable {
    /// Runs `body` with the state if the lock is free now; nil, without waiting, when another
    /// thread holds it. For passes that have other work to do first (a bulk load visits busy
    /// shards last instead of queueing behind their holder).
    @inlinable @inline(__always)
    public func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending State) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        try mutex.withLockIfAvailable { (state: inout sending State) throws(E) -> sending Result in
            ThreadSanitizerHooks.acquire(self)
            defer { ThreadSanitizerHooks.release(self) }
            return try body(&state)
        }
    }
}

/// `__tsan_acquire` / `__tsan_release`, when the process runs under ThreadSanitizer.
@usableFromInline
enum ThreadSanitizerHooks {
    @usableFromInline typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void

    @usableFromInline static let entryPoints: (acquire: Annotation, release: Annotation)? = {
        guard let acquire = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_acquire"),
              let release = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_release") else { return nil }
        return (unsafeBitCast(acquire, to: Annotation.self), unsafeBitCast(release, to: Annotation.self))
    }()

    @inlinable @inline(__always)
    static func acquire(_ lock: AnyObject) {
        if let entryPoints { entryPoints.acquire(UnsafeRawPointer(Unmanaged.passUnretained(lock).toOpaque())) }
    }

    @inlinable @inline(__always)
    static func release(_ lock: AnyObject) {
        if let entryPoints { entryPoints.release(UnsafeRawPointer(Unmanaged.passUnretained(lock).toOpaque())) }
    }
}
