import Foundation
import Synchronization
import Testing
@testable import Delivery
import HTTP2Transport
import PushSync

@Suite struct RetryTimerTests {
    @Test func actionsRunInDueOrderAndStopRunsWhatIsLeft() {
        let timer = RetryTimer()
        let order = Mutex<[Int]>([])
        let now = monotonicNanoseconds()
        // Scheduled out of order; the first three are due within milliseconds.
        timer.schedule(at: now + 3_000_000) { order.withLock { $0.append(3) } }
        timer.schedule(at: now + 1_000_000) { order.withLock { $0.append(1) } }
        timer.schedule(at: now + 2_000_000) { order.withLock { $0.append(2) } }
        timer.schedule(at: now + 3_600_000_000_000) { order.withLock { $0.append(99) } }  // an hour away
        for _ in 0..<5000 where order.withLock({ $0.count }) < 3 { usleep(1000) }
        #expect(order.withLock { $0 } == [1, 2, 3])
        #expect(timer.count == 1)
        timer.stop()  // the far one runs now rather than being dropped
        #expect(order.withLock { $0 } == [1, 2, 3, 99])
        timer.schedule(at: now + 3_600_000_000_000) { order.withLock { $0.append(100) } }  // after stop: at once
        #expect(order.withLock { $0 }.last == 100)
    }
}
