import HeapModule
import HTTP2Transport
import PushSync

/// One thread that runs retries when they are due: a min-heap of (due, action) under a
/// ``ConditionLock``. Actions run on the timer thread, outside the lock, in due order.
final class RetryTimer: Sendable {
    private struct Item: Comparable {
        var due: UInt64
        var sequence: UInt64
        var action: @Sendable () -> Void

        static func < (a: Item, b: Item) -> Bool { (a.due, a.sequence) < (b.due, b.sequence) }
        static func == (a: Item, b: Item) -> Bool { (a.due, a.sequence) == (b.due, b.sequence) }
    }
    private struct State {
        var heap = Heap<Item>()
        var sequence: UInt64 = 0
        var stopped = false
        var running = false
    }
    private let monitor = ConditionLock()
    // Guarded by `monitor` (a pthread mutex), hence the unchecked box.
    private let state = ConditionGuarded(State())

    init() {}

    /// Items waiting.
    var count: Int { monitor.withLock { state.value.heap.count } }

    /// Runs `action` on the timer thread at `due` (monotonic ns). After `stop()`, runs it at once
    /// on the caller's thread (nothing is ever dropped).
    func schedule(at due: UInt64, _ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = monitor.withLock {
            if state.value.stopped { return true }
            state.value.sequence &+= 1
            state.value.heap.insert(Item(due: due, sequence: state.value.sequence, action: action))
            if !state.value.running {
                state.value.running = true
                PushThread.detach { [self] in run() }
            }
            monitor.broadcast()
            return false
        }
        if runNow { action() }
    }

    /// Runs every waiting action now, stops the thread; later `schedule` calls run at once.
    func stop() {
        let rest: [Item] = monitor.withLock {
            state.value.stopped = true
            var items: [Item] = []
            while let next = state.value.heap.popMin() { items.append(next) }
            monitor.broadcast()
            return items
        }
        for item in rest { item.action() }
    }

    private func run() {
        while true {
            let due: [Item]? = monitor.withLock {
                while true {
                    if state.value.stopped { return nil }
                    guard let first = state.value.heap.min else {
                        monitor.wait()
                        continue
                    }
                    let now = monotonicNanoseconds()
                    if first.due <= now {
                        var items: [Item] = []
                        while let top = state.value.heap.min, top.due <= now { items.append(state.value.heap.removeMin()) }
                        return items
                    }
                    monitor.wait(untilNanoseconds: first.due)
                }
            }
            guard let due else { return }
            for item in due { item.action() }
        }
    }

}
