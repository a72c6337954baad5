#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in milliseconds since 1970, injected so tests can move time by hand
/// (provider-token ages, token refresh, event times, 410 timestamps).
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock that reads `now` (milliseconds since 1970).
    public init(_ now: @escaping @Sendable () -> Int64) {
        read = now
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    public func nowMilliseconds() -> Int64 { read() }

    /// Whole seconds since 1970.
    public func nowSeconds() -> Int64 { read() / 1000 }

    /// The system's real-time clock.
    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
