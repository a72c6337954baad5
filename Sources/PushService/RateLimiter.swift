import Synchronization

/// Requests per second for one API key: a token bucket holding one second's worth.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    private let rate: Double
    private let bucket: Mutex<Bucket>

    init(perSecond: Int) {
        rate = Double(perSecond)
        bucket = Mutex(Bucket(tokens: Double(perSecond), last: .now))
    }

    /// Takes one token; false when the bucket is empty (answer 429).
    func admit() -> Bool {
        let now = ContinuousClock.now
        let rate = self.rate
        return bucket.withLock { b in
            let elapsed = now - b.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            b.tokens = min(rate, b.tokens + seconds * rate)
            b.last = now
            guard b.tokens >= 1 else { return false }
            b.tokens -= 1
            return true
        }
    }
}
