#if canImport(Glibc)
import Glibc
#endif

/// The one way this project starts an OS thread: for code that blocks (event loops, the event
/// log writer, send workers, the retry timer), which must stay off Swift's cooperative pool.
public struct PushThread: Sendable {
    private let handle: pthread_t

    /// Starts a thread running `body`; ``join()`` waits for it to return.
    public static func start(_ body: @escaping @Sendable () -> Void) -> PushThread {
        PushThread(handle: create(body))
    }

    /// Starts a thread running `body` that nobody joins.
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        pthread_detach(create(body))
    }

    /// Waits until the thread's body has returned. Call at most once, never from that thread.
    public func join() { pthread_join(handle, nil) }

    /// The calling thread, for ``isCurrent`` checks (an event loop records its own thread)
    /// and, for a thread from ``start(_:)``, for ``join()``.
    public static var current: PushThread { PushThread(handle: pthread_self()) }

    /// True when called on this thread.
    @inline(__always)
    public var isCurrent: Bool { pthread_equal(pthread_self(), handle) != 0 }

    private final class Box: @unchecked Sendable {  // handed to exactly one thread, read once
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private static func create(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return thread
    }
}
