#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock the writer asks "is this day over plus grace?" and "has the day rolled
/// over?". Injected, so tests can cross midnight and grace periods without waiting.
///
/// Event routing never uses it: an event's own ``EventTime`` chooses its file.
public protocol EventLogClock: Sendable {
    /// The current UTC time, whole seconds.
    func now() -> EventTime
}

/// The system's real-time clock (`CLOCK_REALTIME`).
public struct SystemEventLogClock: EventLogClock {
    /// Creates the system clock.
    public init() {}

    /// The current UTC time, floored to the second.
    public func now() -> EventTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return EventTime(unchecked: Int64(spec.tv_sec))
    }
}
