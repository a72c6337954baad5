import PushSync
import Histogram

/// Request latency percentiles of a send: for each target whose final attempt got a gateway
/// response, the time from handing that request to the transport to its response (what
/// `h2load` calls request latency). Retried attempts are not counted; targets that ended
/// without a response (cancelled, retries exhausted on connection loss, build errors) are not
/// either.
public struct LatencySummary: Hashable, Sendable {
    /// Targets counted.
    public var count: Int
    /// The fastest answer.
    public var min: Duration
    /// The median.
    public var p50: Duration
    /// The 95th percentile.
    public var p95: Duration
    /// The 99th percentile.
    public var p99: Duration
    /// The slowest answer.
    public var max: Duration

    /// Creates a summary.
    public init(count: Int, min: Duration, p50: Duration, p95: Duration, p99: Duration, max: Duration) {
        self.count = count
        self.min = min
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }

    /// Nothing recorded.
    public static let empty = LatencySummary(count: 0, min: .zero, p50: .zero, p95: .zero, p99: .zero, max: .zero)
}

/// One lane's latencies in nanoseconds: an HdrHistogram (1 µs … 1 h, 2 significant digits,
/// allocated on the first answer) plus the exact extremes, so that the summary's
/// percentiles can be clamped into [min, max] and stay ordered.
struct LatencyLane {
    var histogram: Histogram<UInt64>?
    var min = UInt64.max
    var max: UInt64 = 0

    /// Records a batch: the histogram is unwrapped once, not once per value.
    mutating func record(_ values: [UInt64]) {
        // Moved out and back: mutating it in place through the optional would copy it.
        var h = histogram.take() ?? Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 3_600_000_000_000,
                                              numberOfSignificantValueDigits: .two)
        for raw in values {
            let v = Swift.min(Swift.max(raw, 1), 3_600_000_000_000)
            _ = h.record(v)
            if v < min { min = v }
            if v > max { max = v }
        }
        histogram = h
    }

    mutating func merge(_ other: LatencyLane) {
        guard let h = other.histogram else { return }
        if histogram == nil { histogram = h } else { histogram!.add(h) }
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    var summary: LatencySummary {
        guard let h = histogram, h.totalCount > 0 else { return .empty }
        func at(_ p: Double) -> Duration { .nanoseconds(Int64(Swift.min(Swift.max(h.valueAtPercentile(p), min), max))) }
        return LatencySummary(count: Int(h.totalCount), min: .nanoseconds(Int64(min)), p50: at(50), p95: at(95),
                              p99: at(99), max: .nanoseconds(Int64(max)))
    }
}

/// Per-event-loop latency histograms of one job. Completions of a loop are recorded in that
/// loop's lane only, so the lanes' locks are never contended by the senders' threads: each is
/// taken once per completion batch by its own loop thread, and by a reader merging the lanes
/// (``summary``). The last lane takes completions that arrive off every loop thread (none today).
final class LatencyRecorder: Sendable {
    private let lanes: [Locked<LatencyLane>]

    init(loops: Int) {
        lanes = (0...Swift.max(0, loops)).map { _ in Locked(LatencyLane()) }
    }

    /// Records answers in lane `lane` (clamped to the last lane).
    func record(lane: Int, _ nanoseconds: [UInt64]) {
        guard !nanoseconds.isEmpty else { return }
        lanes[Swift.min(lane, lanes.count - 1)].withLock { l in l.record(nanoseconds) }
    }

    /// Every lane merged.
    var merged: LatencyLane {
        var total = LatencyLane()
        for lane in lanes { total.merge(lane.withLock { $0 }) }
        return total
    }

    /// Percentiles over every lane.
    var summary: LatencySummary { merged.summary }
}
