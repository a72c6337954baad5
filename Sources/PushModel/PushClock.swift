#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one wall clock of the project: milliseconds since 1970, injected wherever wall time
/// matters (provider-token ages and refresh, FCM token expiry, event times and day rollover,
/// 410 timestamps, the mock gateway's token checks), so tests can move time by hand.
///
/// Deadlines and timers use monotonic time instead (`PushSync.monotonicNanoseconds()`).
public struct PushClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock that calls `nowMilliseconds` for the current time in milliseconds since 1970;
    /// tests pass a closure over a value they move by hand.
    public init(_ nowMilliseconds: @escaping @Sendable () -> Int64) {
        read = nowMilliseconds
    }

    /// The current time.
    public func now() -> Timestamp { Timestamp(millisecondsSince1970: read()) }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    public func nowMilliseconds() -> Int64 { read() }

    /// Whole seconds since 1970 (rounded towards negative infinity).
    public func nowSeconds() -> Int64 { now().secondsSince1970 }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = PushClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
