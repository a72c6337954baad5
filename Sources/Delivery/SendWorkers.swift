import DequeModule
import HTTP2Transport
import PushSync

/// The bounded set of threads that runs every send's targeting: campaign scans and
/// transactional recipient resolution. The engine owns one; sends queue here instead of each
/// starting a thread, so 10,000 concurrent transactional sends use at most
/// ``transactionalThreads`` threads and hold only their queued work (recipients and an empty run).
///
/// Campaigns and transactional sends have separate lanes: a long campaign scan (it blocks
/// while the gateway window is full) never delays a transactional send. Threads start on
/// demand, up to each lane's limit, and end after ``idleTimeout`` without work, so an idle
/// engine holds no worker thread.
public final class SendWorkers: Sendable {
    /// Threads that scan campaigns at once (more campaigns queue).
    public let campaignThreads: Int
    /// Threads that resolve and route transactional sends at once.
    public let transactionalThreads: Int
    /// How long an idle worker thread waits for work before it ends.
    public let idleTimeout: Duration
    private let campaigns: Lane
    private let transactional: Lane

    /// Creates the workers; no thread starts until work arrives.
    public init(campaignThreads: Int = 2, transactionalThreads: Int = 2, idleTimeout: Duration = .seconds(5)) {
        self.campaignThreads = max(1, campaignThreads)
        self.transactionalThreads = max(1, transactionalThreads)
        self.idleTimeout = idleTimeout
        campaigns = Lane(limit: self.campaignThreads, idleTimeout: idleTimeout)
        transactional = Lane(limit: self.transactionalThreads, idleTimeout: idleTimeout)
    }

    /// Worker threads alive now, both lanes.
    public var liveThreads: Int { campaigns.liveThreads + transactional.liveThreads }

    /// Work items queued and not yet started, both lanes.
    public var queued: Int { campaigns.queued + transactional.queued }

    /// Work items run so far (one per send), both lanes.
    public var completed: Int { campaigns.completed + transactional.completed }

    /// The most worker threads alive at once so far, both lanes.
    public var peakThreads: Int { campaigns.peak + transactional.peak }

    func runCampaign(_ work: @escaping @Sendable () -> Void) { campaigns.submit(work) }

    func runTransactional(_ work: @escaping @Sendable () -> Void) { transactional.submit(work) }

    /// Runs what is queued, then ends every worker thread and waits for them. Work submitted
    /// afterwards runs on the caller's thread (nothing is dropped: a send's targeting must run
    /// to give its installations their final events, even when it only finds the send cancelled).
    public func shutdown() {
        campaigns.shutdown()
        transactional.shutdown()
    }
}

/// One lane: a FIFO of work and up to `limit` threads taking from it.
private final class Lane: Sendable {
    private struct State {
        var queue = Deque<@Sendable () -> Void>()
        var live = 0
        var peak = 0
        var completed = 0
        var idle = 0
        var stopped = false
    }
    let limit: Int
    let idleNanoseconds: UInt64
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private let state = ConditionGuarded(State())

    init(limit: Int, idleTimeout: Duration) {
        self.limit = limit
        idleNanoseconds = max(1, idleTimeout.wholeNanoseconds)
    }

    var liveThreads: Int { lock.withLock { state.value.live } }
    var queued: Int { lock.withLock { state.value.queue.count } }
    var completed: Int { lock.withLock { state.value.completed } }
    var peak: Int { lock.withLock { state.value.peak } }

    func submit(_ work: @escaping @Sendable () -> Void) {
        let runHere: Bool = lock.withLock {
            if state.value.stopped { return true }
            state.value.queue.append(work)
            if state.value.idle > 0 {
                lock.signal()
            } else if state.value.live < limit {
                state.value.live += 1
                state.value.peak = max(state.value.peak, state.value.live)
                PushThread.detach { [self] in self.work() }
            }
            return false
        }
        if runHere { work() }
    }

    private func work() {
        while true {
            let next: (@Sendable () -> Void)? = lock.withLock {
                while true {
                    if let item = state.value.queue.popFirst() {
                        state.value.completed += 1
                        return item
                    }
                    if state.value.stopped { break }
                    state.value.idle += 1
                    let deadline = monotonicNanoseconds() &+ idleNanoseconds
                    lock.wait(untilNanoseconds: deadline)
                    state.value.idle -= 1
                    if state.value.queue.isEmpty && monotonicNanoseconds() >= deadline { break }
                }
                state.value.live -= 1
                lock.broadcast()  // for shutdown(), waiting for the last thread to end
                return nil
            }
            guard let next else { return }
            next()
        }
    }

    func shutdown() {
        lock.withLock {
            state.value.stopped = true
            lock.broadcast()
            while state.value.live > 0 { lock.wait() }
        }
    }
}
