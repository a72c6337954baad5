#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`): the one monotonic clock of the project.
/// Every deadline and timer (the transport's, the delivery engine's, the event log writer's,
/// ``ConditionLock/wait(untilNanoseconds:)``'s) is on it, so deadlines made in different layers
/// compare with each other. Wall time is `PushModel.PushClock`.
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// Whole nanoseconds (zero for negative durations): a span to add to ``monotonicNanoseconds()``.
    public var wholeNanoseconds: UInt64 {
        let (s, a) = components
        if s < 0 { return 0 }
        return UInt64(s) &* 1_000_000_000 &+ UInt64(a / 1_000_000_000)
    }
}
