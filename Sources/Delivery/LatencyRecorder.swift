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

/// One lane's latencies in nanoseconds: up to ``exactLimit`` values kept as they are, then an
/// HdrHistogram (1 µs … 1 h, 2 significant digits) plus the exact extremes, so that the
/// summary's percentiles can be clamped into [min, max] and stay ordered. A histogram takes
/// tens of kilobytes, so a transactional send to a few installations never allocates one: at
/// thousands of sends in flight, memory stays proportional to the targets, not to the sends.
struct LatencyLane {
    static let exactLimit = 32
    var exact: [UInt64] = []
    var histogram: Histogram<UInt64>?
    var min = UInt64.max
    var max: UInt64 = 0

    var count: Int { histogram.map { Int($0.totalCount) } ?? exact.count }

    /// Records a batch: the histogram is unwrapped once, not once per value.
    mutating func record(_ values: [UInt64]) {
        if histogram == nil, exact.count + values.count <= Self.exactLimit {
            for raw in values {
                let v = Swift.min(Swift.max(raw, 1), 3_600_000_000_000)
                exact.append(v)
                if v < min { min = v }
                if v > max { max = v }
            }
            return
        }
        // Moved out and back: mutating it in place through the optional would copy it.
        var h = histogram.take() ?? Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 3_600_000_000_000,
                                              numberOfSignificantValueDigits: .two)
        for v in exact { _ = h.record(v) }
        exact = []
        for raw in values {
            let v = Swift.min(Swift.max(raw, 1), 3_600_000_000_000)
            _ = h.record(v)
            if v < min { min = v }
            if v > max { max = v }
        }
        histogram = h
    }

    mutating func merge(_ other: LatencyLane) {
        if let h = other.histogram {
            if histogram == nil {
                var mine = h
                for v in exact { _ = mine.record(v) }
                exact = []
                histogram = mine
            } else {
                histogram!.add(h)
            }
            min = Swift.min(min, other.min)
            max = Swift.max(max, other.max)
        } else if !other.exact.isEmpty {
            record(other.exact)
        }
    }

    var summary: LatencySummary {
        if let h = histogram, h.totalCount > 0 {
            func at(_ p: Double) -> Duration { .nanoseconds(Int64(Swift.min(Swift.max(h.valueAtPercentile(p), min), max))) }
            return LatencySummary(count: Int(h.totalCount), min: .nanoseconds(Int64(min)), p50: at(50), p95: at(95),
                                  p99: at(99), max: .nanoseconds(Int64(max)))
        }
        guard !exact.isEmpty else { return .empty }
        let sorted = exact.sorted()
        // Nearest rank: the smallest value with at least p% of the values at or below it.
        func at(_ p: Double) -> Duration {
            let rank = Swift.max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
            return .nanoseconds(Int64(sorted[Swift.min(rank, sorted.count) - 1]))
        }
        return LatencySummary(count: sorted.count, min: .nanoseconds(Int64(sorted[0])), p50: at(50), p95: at(95),
                              p99: at(99), max: .nanoseconds(Int64(sorted[sorted.count - 1])))
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
