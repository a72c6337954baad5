import Testing
@testable import Delivery

/// A lane keeps a few latencies exactly and only then pays for a histogram.
struct LatencyLaneTests {
    static func ms(_ n: UInt64) -> UInt64 { n * 1_000_000 }

    @Test func fewValuesStayExactAndAllocateNoHistogram() {
        var lane = LatencyLane()
        lane.record([Self.ms(3), Self.ms(1), Self.ms(2)])
        #expect(lane.histogram == nil)
        let s = lane.summary
        #expect(s.count == 3 && s.min == .milliseconds(1) && s.p50 == .milliseconds(2) && s.max == .milliseconds(3))
        #expect(s.p99 == .milliseconds(3))
    }

    @Test func pastTheLimitEveryValueMovesIntoTheHistogram() {
        var lane = LatencyLane()
        lane.record((1...UInt64(LatencyLane.exactLimit)).map { Self.ms($0) })
        #expect(lane.histogram == nil)
        lane.record([Self.ms(100)])
        #expect(lane.histogram != nil && lane.exact.isEmpty)
        let s = lane.summary
        #expect(s.count == LatencyLane.exactLimit + 1)
        #expect(s.max == .milliseconds(100) && s.min == .milliseconds(1))
        #expect(s.min <= s.p50 && s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max)
    }

    @Test(arguments: [(2, 3), (40, 5), (3, 40), (40, 40)])
    func mergingKeepsEveryCount(first: Int, second: Int) {
        var a = LatencyLane(), b = LatencyLane()
        a.record((0..<first).map { Self.ms(UInt64($0 + 1)) })
        b.record((0..<second).map { Self.ms(UInt64($0 + 1)) })
        var total = LatencyLane()
        total.merge(a)
        total.merge(b)
        #expect(total.summary.count == first + second)
        #expect(total.summary.max == .milliseconds(Int64(max(first, second))))
    }

    @Test func anEmptyLaneSummarisesAsEmpty() {
        #expect(LatencyLane().summary == .empty)
    }
}
