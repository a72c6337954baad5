public import Gateways
import PushSync
import PushModel
import Synchronization
import HTTP2Transport

/// One send (a campaign or a transactional notification) in flight: its template, progress,
/// cancellation, optional rate, and the waiters for its end.
///
/// Progress counters change under one `Mutex`, once per completion batch, not per request.
public final class DeliveryJob: Sendable {
    /// Which send.
    public let source: DeliverySource
    /// Requests and outcomes for its gateway.
    public let template: any GatewaySendTemplate
    /// Where its final events go.
    public let sink: any DeliveryEventSink
    /// Where invalidated tokens go (nil: nowhere, the event is still written).
    public let feedback: (any DeliveryFeedback)?
    /// Most requests per minute (`send_rate`); nil: as fast as the window allows.
    public let sendRatePerMinute: Int?

    private struct State {
        var progress = DeliveryProgress.zero
        var waiters: [UInt64: CheckedContinuation<DeliveryProgress, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var paceStart: UInt64 = 0
        var paced = 0
    }
    private let state = Locked(State())
    private let cancelledFlag = Atomic<Bool>(false)
    let window: SendWindow
    /// Request latencies of final attempts, one lane per event loop of the sender.
    let latency: LatencyRecorder

    init(source: DeliverySource, template: any GatewaySendTemplate, sink: any DeliveryEventSink,
         feedback: (any DeliveryFeedback)?, sendRatePerMinute: Int?, window: SendWindow, loops: Int = 1) {
        self.latency = LatencyRecorder(loops: loops)
        self.source = source
        self.template = template
        self.sink = sink
        self.feedback = feedback
        self.sendRatePerMinute = sendRatePerMinute.map { max(1, $0) }
        self.window = window
    }

    /// The current progress.
    public var progress: DeliveryProgress { state.withLock { $0.progress } }

    /// Request latency percentiles so far (see ``LatencySummary``), merged over the event loops.
    public func latencySummary() -> LatencySummary { latency.summary }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }

    /// Stops targeting: nothing more is submitted, retries not yet sent end as `push_error`
    /// ("cancelled"); requests already on the wire finish and get their events.
    public func cancel() {
        guard !cancelledFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        update { $0.cancelled = true }
        window.wake()
    }

    /// Waits until every targeted installation has its final event, and returns the progress.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the send goes on;
    ///   ``cancel()`` stops it).
    public func finished() async throws -> DeliveryProgress {
        let id: UInt64 = state.withLock { s in
            s.nextWaiter &+= 1
            return s.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<DeliveryProgress, any Error>) in
                enum Registration { case done(DeliveryProgress), cancelled, waiting }
                let r: Registration = state.withLock { s in
                    if s.progress.isFinished { return .done(s.progress) }
                    if Task.isCancelled { return .cancelled }
                    s.waiters[id] = c
                    return .waiting
                }
                switch r {
                case .done(let p): c.resume(returning: p)
                case .cancelled: c.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Applies `change` to the progress and wakes waiters when the send just finished.
    func update(_ change: (inout DeliveryProgress) -> Void) {
        let (finished, waiters): (Bool, [CheckedContinuation<DeliveryProgress, any Error>]) = state.withLock { s in
            let wasFinished = s.progress.isFinished
            change(&s.progress)
            guard !wasFinished, s.progress.isFinished else { return (false, []) }
            let w = Array(s.waiters.values)
            s.waiters = [:]
            return (true, w)
        }
        guard finished else { return }
        let p = progress
        for w in waiters { w.resume(returning: p) }
    }

    /// Records final events and counts them.
    func record(_ events: [DeliveryEvent]) {
        guard !events.isEmpty else { return }
        sink.record(events)
        var sent = 0, failed = 0, deleted = 0
        for e in events {
            switch e.kind {
            case .sent: sent += 1
            case .error: failed += 1
            case .tokenDeleted: deleted += 1
            }
        }
        update {
            $0.sent += sent
            $0.failed += failed
            $0.tokensDeleted += deleted
        }
    }

    /// With a send rate, sleeps until `count` more requests are allowed: request k (0-based) of
    /// the send may start at `start + k × 60 s / rate`. Returns early when cancelled.
    func pace(_ count: Int) {
        guard let rate = sendRatePerMinute else { return }
        let due: UInt64 = state.withLock { s in
            let now = monotonicNanoseconds()
            if s.paced == 0 { s.paceStart = now }
            let k = UInt64(s.paced)
            s.paced += count
            return s.paceStart &+ k &* 60_000_000_000 / UInt64(rate)
        }
        let sleeper = ConditionLock()
        sleeper.withLock {
            while !isCancelled, monotonicNanoseconds() < due {
                sleeper.wait(untilNanoseconds: min(due, monotonicNanoseconds() &+ 100_000_000))
            }
        }
    }
}

/// The in-flight window of a gateway sender: at most `capacity` targets between submission
/// and final event (see ``GatewaySenderConfiguration/window``). Submitting threads block here, so memory depends on the window, never on
/// the size of a send.
final class SendWindow: Sendable {
    let capacity: Int
    private let monitor = ConditionLock()
    // Guarded by `monitor`.
    private let used = ConditionGuarded(0)
    // Threads waiting in `acquire` or `waitUntilEmpty`; guarded by `monitor`.
    private let waiters = ConditionGuarded(0)

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Targets currently holding a place.
    var inUse: Int { monitor.withLock { used.value } }

    /// Takes between 1 and `count` places, waiting while the window is full; 0 once `stop()` says so.
    func acquire(upTo count: Int, stop: () -> Bool) -> Int {
        monitor.withLock {
            while true {
                if stop() { return 0 }
                let free = capacity - used.value
                if free > 0 {
                    let n = min(free, count)
                    used.value += n
                    return n
                }
                waiters.value += 1
                monitor.wait(untilNanoseconds: monotonicNanoseconds() &+ 100_000_000)
                waiters.value -= 1
            }
        }
    }

    /// Gives places back.
    func release(_ count: Int) {
        guard count > 0 else { return }
        monitor.withLock {
            used.value -= count
            precondition(used.value >= 0, "window released more than it lent")
            // Waking costs a futex call per release; only pay it when someone waits.
            if waiters.value > 0 { monitor.broadcast() }
        }
    }

    /// Waits until no place is taken, or the deadline; returns whether it is empty.
    func waitUntilEmpty(deadline: UInt64) -> Bool {
        monitor.withLock {
            while used.value > 0 && monotonicNanoseconds() < deadline {
                waiters.value += 1
                monitor.wait(untilNanoseconds: min(deadline, monotonicNanoseconds() &+ 100_000_000))
                waiters.value -= 1
            }
            return used.value == 0
        }
    }

    /// Wakes waiters so they re-check their stop condition.
    func wake() { monitor.withLock { monitor.broadcast() } }
}
