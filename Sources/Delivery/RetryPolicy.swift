import HTTP2Transport
import PushSync
/// How transient failures are retried: exponential backoff with full jitter, honouring the
/// gateway's `retry-after`, within a number of attempts and a deadline per target.
public struct RetryPolicy: Sendable, Hashable {
    /// Requests per target, the first included (1: never retry).
    public var maxAttempts: Int
    /// Backoff before the second attempt; doubles with each attempt.
    public var initialBackoff: Duration
    /// Longest backoff.
    public var maxBackoff: Duration
    /// Time from a target's first request after which no retry starts.
    public var deadline: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 5, initialBackoff: Duration = .milliseconds(200),
                maxBackoff: Duration = .seconds(30), deadline: Duration = .seconds(300)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.deadline = deadline
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
    /// uniformly random in [cap/2, cap] where cap = min(maxBackoff, initial × 2^(attempt-1)),
    /// and never less than `retryAfter`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?,
                      random: (ClosedRange<UInt64>) -> UInt64 = { UInt64.random(in: $0) }) -> Duration {
        let base = initialBackoff.wholeNanoseconds
        let cap = min(maxBackoff.wholeNanoseconds, base << UInt64(min(max(attempt - 1, 0), 30)))
        let jittered = cap == 0 ? 0 : random((cap / 2)...cap)
        let floor = retryAfter?.wholeNanoseconds ?? 0
        return .nanoseconds(Int64(clamping: max(jittered, floor)))
    }
}
