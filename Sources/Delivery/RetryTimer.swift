import HTTP2Transport
/// One thread that runs retries when they are due: a min-heap of (due, action) under a
/// ``Monitor``. Actions run on the timer thread, outside the lock, in due order.
final class RetryTimer: Sendable {
    private struct Item {
        var due: UInt64
        var sequence: UInt64
        var action: @Sendable () -> Void
    }
    private struct State {
        var heap: [Item] = []
        var sequence: UInt64 = 0
        var stopped = false
        var running = false
    }
    private let monitor = Monitor()
    // Guarded by `monitor` (a pthread mutex), hence the unchecked box.
    private let state = UncheckedBox(State())

    init() {}

    /// Items waiting.
    var count: Int { monitor.withLock { state.value.heap.count } }

    /// Runs `action` on the timer thread at `due` (monotonic ns). After `stop()`, runs it at once
    /// on the caller's thread (nothing is ever dropped).
    func schedule(at due: UInt64, _ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = monitor.withLock {
            if state.value.stopped { return true }
            state.value.sequence &+= 1
            push(Item(due: due, sequence: state.value.sequence, action: action))
            if !state.value.running {
                state.value.running = true
                startThread { [self] in run() }
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
            let items = state.value.heap.sorted { ($0.due, $0.sequence) < ($1.due, $1.sequence) }
            state.value.heap.removeAll()
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
                    guard let first = state.value.heap.first else {
                        monitor.wait()
                        continue
                    }
                    let now = monotonicNanoseconds()
                    if first.due <= now {
                        var items: [Item] = []
                        while let top = state.value.heap.first, top.due <= now { items.append(pop()) }
                        return items
                    }
                    monitor.wait(untilNanoseconds: first.due)
                }
            }
            guard let due else { return }
            for item in due { item.action() }
        }
    }

    // Binary heap on (due, sequence); called with the monitor held.
    private func less(_ a: Item, _ b: Item) -> Bool { (a.due, a.sequence) < (b.due, b.sequence) }

    private func push(_ item: Item) {
        state.value.heap.append(item)
        var i = state.value.heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(state.value.heap[i], state.value.heap[parent]) else { break }
            state.value.heap.swapAt(i, parent)
            i = parent
        }
    }

    private func pop() -> Item {
        let top = state.value.heap[0]
        let last = state.value.heap.removeLast()
        if !state.value.heap.isEmpty {
            state.value.heap[0] = last
            var i = 0
            let n = state.value.heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, less(state.value.heap[l], state.value.heap[m]) { m = l }
                if r < n, less(state.value.heap[r], state.value.heap[m]) { m = r }
                if m == i { break }
                state.value.heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// A mutable value whose every access happens under a lock its owner names.
/// `@unchecked Sendable`: the owner guarantees exclusive access (see each use).
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
