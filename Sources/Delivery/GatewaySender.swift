public import Gateways
public import HTTP2Transport
public import Logging
public import PushModel
import PushSync
import Synchronization

/// Settings of one gateway sender.
public struct GatewaySenderConfiguration: Sendable {
    /// The connections (origin, TLS, count, streams per connection, request timeout).
    public var pool: HTTP2ConnectionPoolConfiguration
    /// Retries of transient failures.
    public var retry: RetryPolicy
    /// Most targets between submission and final event; nil: twice connections × streams per
    /// connection. The peer has at most connections × streams in flight; the second half waits in
    /// the connections' queues, so a stream that completes is refilled at once, without a round
    /// trip through the submitting threads. Either way memory is bounded by the stream limits,
    /// not by the size of a send.
    public var window: Int?
    /// Targets per hand-off to the pool.
    public var batchSize: Int
    /// Added to the request timeout before the watchdog treats a request the transport never
    /// completed as lost (and retries it).
    public var lostRequestMargin: Duration = .seconds(10)

    /// Creates a configuration.
    public init(pool: HTTP2ConnectionPoolConfiguration, retry: RetryPolicy = RetryPolicy(), window: Int? = nil, batchSize: Int = 256) {
        self.pool = pool
        self.retry = retry
        self.window = window
        self.batchSize = max(1, batchSize)
    }

    /// The window in effect.
    public var effectiveWindow: Int {
        window ?? 2 * pool.connections * pool.connection.maxConcurrentStreams
    }
}

/// Sends to one gateway origin (APNs or FCM) over a pool of HTTP/2 connections, and turns every
/// answer into its consequence: `push_sent`; `token_deleted` with the token removed from the
/// index; `push_error`; or a retry with backoff.
///
/// Every target handed to ``submit(_:to:)`` ends in exactly one final event, whatever the
/// connections do (GOAWAY, loss, timeouts): its slot in the in-flight table is freed exactly
/// once, when its final event is made.
///
/// Threads: submitters (scan threads, callers) block in the window; completions arrive in
/// batches on the pool's event-loop threads; delayed retries run on one timer thread.
public final class GatewaySender: Sendable {
    /// The configuration.
    public let configuration: GatewaySenderConfiguration
    /// The connections.
    public let pool: HTTP2ConnectionPool
    let window: SendWindow
    private let clock: WallClock
    private let logger: Logger
    private let timer = RetryTimer()
    private let table = Locked(SlotTable())
    private let credentialProblem = Locked<RejectionReason?>(nil)
    private let strays = Atomic<Int>(0)
    private let closing = Atomic<Bool>(false)
    private let watchdogStarted = Atomic<Bool>(false)
    private let lostRequests = Atomic<Int>(0)
    /// The credential generation of the last requests built: first attempts are inserted with
    /// it, and corrected only when the requests turn out to carry another.
    private let lastGeneration = Atomic<UInt64>(0)
    /// The pool's event loops: a completion batch's latencies go to the lane of the loop it runs on.
    private let loops: [EventLoop]

    struct Slot {
        var target: DeliveryTarget
        var job: DeliveryJob
        var attempt: Int
        var firstSent: UInt64
        var credentialRetried: Bool
        var generation: UInt64
        /// The message variant (language) the target gets, fixed at its first attempt.
        var variant: Int = 0
    }

    /// A slot's wire state, kept apart from the slot in a plain array: every completion reads
    /// it, and reading fields through `[Slot?]` copies the whole slot.
    struct Wire {
        /// Grows with each submission; the wire tag carries it, so a completion for an earlier
        /// submission (one the watchdog already gave up on) is recognised as stale.
        var serial: UInt32 = 0
        /// A request for this slot is with the transport.
        var onTheWire = false
        /// When the current request was handed to the transport (monotonic ns).
        var sentAt: UInt64 = 0
    }

    struct SlotTable {
        var slots: [Slot?] = []
        /// `wire[i]` belongs to `slots[i]`.
        var wire: [Wire] = []
        var free: [Int] = []
        var used = 0

        /// Inserts a slot whose first request is about to be handed to the transport.
        mutating func insert(_ slot: consuming Slot, sentAt: UInt64) -> Int {
            used += 1
            if let i = free.popLast() {
                slots[i] = slot
                wire[i].serial &+= 1
                wire[i].onTheWire = true
                wire[i].sentAt = sentAt
                return i
            }
            slots.append(slot)
            wire.append(Wire(serial: 1, onTheWire: true, sentAt: sentAt))
            return slots.count - 1
        }

        /// Moves the slot out (no copy) and frees its place.
        mutating func remove(_ i: Int) -> Slot? {
            guard i < slots.count, let s = slots[i].take() else { return nil }
            wire[i].onTheWire = false
            free.append(i)
            used -= 1
            return s
        }
    }

    /// Connects the pool.
    /// - Throws: `HTTP2TransportError` when the TLS configuration is unusable.
    public init(configuration: GatewaySenderConfiguration, group: EventLoopGroup, clock: WallClock = .system,
                logger: Logger) throws(HTTP2TransportError) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.window = SendWindow(capacity: configuration.effectiveWindow)
        self.loops = group.loops
        let router = CompletionRouter()
        pool = try HTTP2ConnectionPool(configuration: configuration.pool, group: group) { batch in
            router.sender?.complete(batch)
        }
        router.set(self)
    }

    /// Targets between submission and final event.
    public var inFlight: Int { table.withLock { $0.used } }

    /// The credential rejection that survived a reissue, if any: the app's credentials need attention.
    public var credentialsFlag: RejectionReason? { credentialProblem.withLock { $0 } }

    /// Completions that matched no in-flight request (stale after a watchdog retry; should stay 0).
    public var strayCompletions: Int { strays.load(ordering: .relaxed) }

    /// Requests the transport never completed, which the watchdog retried (should stay 0).
    public var lostRequestCount: Int { lostRequests.load(ordering: .relaxed) }

    /// How long a request may stay with the transport before the watchdog treats it as lost:
    /// the request timeout plus `lostRequestMargin` (the transport completes every request by
    /// its deadline; this only guards against a completion that never comes).
    var lostAfter: UInt64 { (configuration.pool.connection.requestTimeout + configuration.lostRequestMargin).wholeNanoseconds }

    static func wireTag(_ slot: UInt64, _ serial: UInt32) -> UInt64 { slot << 32 | UInt64(serial) }

    /// Starts a send on this sender.
    public func makeJob(source: DeliverySource, template: any GatewaySendTemplate, sink: any DeliveryEventSink,
                        feedback: (any DeliveryFeedback)?, sendRatePerMinute: Int? = nil) -> DeliveryJob {
        DeliveryJob(source: source, template: template, sink: sink, feedback: feedback,
                    sendRatePerMinute: sendRatePerMinute, window: window, loops: loops.count)
    }

    /// Hands targets to the gateway, blocking while the window is full (or pacing to the send
    /// rate). Returns how many were submitted: fewer than given only when the job was cancelled
    /// or the sender is shutting down. Each submitted target gets exactly one final event.
    @discardableResult
    public func submit(_ targets: some Collection<DeliveryTarget>, to job: DeliveryJob) -> Int {
        var rest = targets[...]
        var submitted = 0
        while !rest.isEmpty {
            let n = window.acquire(upTo: min(rest.count, configuration.batchSize)) {
                job.isCancelled || closing.load(ordering: .relaxed)
            }
            if n == 0 { break }
            job.pace(n)
            let chunk = rest.prefix(n)
            rest = rest.dropFirst(n)
            job.update { $0.targeted += n }
            submitted += n
            sendFirstAttempts(chunk, job: job)
        }
        return submitted
    }

    /// Inserts first attempts, already marked on the wire, and submits their requests: one lock
    /// for the whole chunk (a second only when the credentials changed since the last chunk).
    private func sendFirstAttempts(_ chunk: some Collection<DeliveryTarget>, job: DeliveryJob) {
        startWatchdog()
        let now = monotonicNanoseconds()
        let generation = lastGeneration.load(ordering: .relaxed)
        let template = job.template
        let hasVariants = template.variantCount > 1
        var pairs: [(token: DeviceToken, tag: UInt64, variant: Int)] = []
        pairs.reserveCapacity(chunk.count)
        table.withLock { t in
            for target in chunk {
                let variant = hasVariants ? template.variant(for: target.language) : 0
                let token = target.token
                let i = t.insert(Slot(target: consume target, job: job, attempt: 1, firstSent: now, credentialRetried: false,
                                      generation: generation, variant: variant), sentAt: now)
                pairs.append((token, Self.wireTag(UInt64(i), t.wire[i].serial), variant))
            }
        }
        do {
            let (requests, built) = try job.template.makeRequests(pairs, timeout: nil)
            if built != generation {
                table.withLock { t in
                    for p in pairs { t.slots[Int(p.tag >> 32)]?.generation = built }
                }
                lastGeneration.store(built, ordering: .relaxed)
            }
            pool.submit(requests)
        } catch {
            table.withLock { t in
                for p in pairs { t.wire[Int(p.tag >> 32)].onTheWire = false }
            }
            logger.error("cannot build requests", metadata: ["error": "\(error)", "send": "\(job.source.token)"])
            finish(pairs.map { ($0.tag >> 32, DeliveryEvent.Kind.error("\(error)")) })
        }
    }

    /// Builds and submits requests for slots of one job (retries).
    private func send(tags: [UInt64], job: DeliveryJob) {
        startWatchdog()
        let now = monotonicNanoseconds()
        let pairs: [(token: DeviceToken, tag: UInt64, variant: Int)] = table.withLock { t in
            tags.compactMap { tag in
                guard let slot = t.slots[Int(tag)] else { return nil }
                t.wire[Int(tag)].serial &+= 1
                t.wire[Int(tag)].onTheWire = true
                t.wire[Int(tag)].sentAt = now
                return (slot.target.token, Self.wireTag(tag, t.wire[Int(tag)].serial), slot.variant)
            }
        }
        do {
            let (requests, generation) = try job.template.makeRequests(pairs, timeout: nil)
            table.withLock { t in
                for tag in tags { t.slots[Int(tag)]?.generation = generation }
            }
            pool.submit(requests)
        } catch {
            table.withLock { t in
                for tag in tags where Int(tag) < t.wire.count { t.wire[Int(tag)].onTheWire = false }
            }
            logger.error("cannot build requests", metadata: ["error": "\(error)", "send": "\(job.source.token)"])
            finish(tags.map { ($0, DeliveryEvent.Kind.error("\(error)")) })
        }
    }

    /// Handles a batch of completions (event-loop thread).
    ///
    /// One pass under the table's lock: a 200 the template accepts (nearly all) moves its slot
    /// out of the table at once; the others are marked off the wire and copied out. Their
    /// outcomes (which may parse an error body) are worked out after the lock is released, then
    /// ``handle(_:answered:lane:)`` deals with them (retries, feedback, credentials).
    func complete(_ batch: [HTTP2Completion]) {
        let now = monotonicNanoseconds()
        var accepted: [(slot: Slot, latency: UInt64)] = []
        accepted.reserveCapacity(batch.count)
        var undecided: [(UInt64, Slot, Result<HTTP2Response, HTTP2TransportError>)] = []
        var answered: [UInt64] = []
        var stale = 0
        table.withLock { t in
            var freed: [Int] = []
            freed.reserveCapacity(batch.count)
            for c in batch {
                let index = Int(c.tag >> 32), serial = UInt32(truncatingIfNeeded: c.tag)
                guard index < t.wire.count, t.wire[index].onTheWire, t.wire[index].serial == serial, let slot = t.slots[index].take() else {
                    stale += 1
                    continue
                }
                // Latency counts gateway answers only; a transport error has no response time.
                var latency = UInt64.max
                if case .success = c.result { latency = now &- t.wire[index].sentAt }
                t.wire[index].onTheWire = false
                // A 200 is decided here: it has no body to read. Anything else is decided after
                // the lock, so reading an error body (JSON) does not hold up the other loops.
                if case .success(let response) = c.result, response.status == 200,
                   case .accepted = slot.job.template.outcome(of: c.result) {
                    accepted.append((slot, latency))
                    freed.append(index)
                } else {
                    undecided.append((UInt64(index), slot, c.result))
                    answered.append(latency)
                    t.slots[index] = slot  // back in the table until its retry or final event
                }
            }
            // The accepted slots are empty now: their places go back to the free list.
            t.free.append(contentsOf: freed)
            t.used -= freed.count
        }
        if stale > 0 { strays.add(stale, ordering: .relaxed) }
        let lane = loops.firstIndex { $0.inLoop } ?? loops.count
        if !accepted.isEmpty { finishAccepted(accepted, lane: lane) }
        if !undecided.isEmpty {
            handle(undecided.map { ($0.0, $0.1, $0.1.job.template.outcome(of: $0.2)) }, answered: answered, lane: lane)
        }
    }

    /// Final events for accepted requests whose slots already left the table (event-loop thread):
    /// latencies, `push_sent` events grouped by job, window places back.
    private func finishAccepted(_ accepted: [(slot: Slot, latency: UInt64)], lane: Int) {
        let time = Timestamp(millisecondsSince1970: clock.nowMilliseconds())
        var start = 0
        while start < accepted.count {
            let job = accepted[start].slot.job
            var end = start + 1
            while end < accepted.count, accepted[end].slot.job === job { end += 1 }
            let run = accepted[start..<end]
            var latencies: [UInt64] = []
            latencies.reserveCapacity(run.count)
            for a in run where a.latency != .max { latencies.append(a.latency) }
            job.latency.record(lane: lane, latencies)
            let platform = job.template.platform, source = job.source
            job.record(run.map { DeliveryEvent(kind: .sent, target: $0.slot.target, platform: platform, time: time,
                                               source: source, attempts: $0.slot.attempt) })
            start = end
        }
        window.release(accepted.count)
    }

    /// Turns outcomes into final events, retries and feedback. `answered[i]` is item i's request
    /// latency (`.max`: no gateway answer); final attempts' latencies go to lane `lane` of their job.
    private func handle(_ items: [(UInt64, Slot, DeliveryOutcome)], answered: [UInt64] = [], lane: Int = .max) {
        var finals: [(UInt64, DeliveryEvent.Kind)] = []
        var latencies: [(DeliveryJob, UInt64)] = []
        var retries: [(UInt64, Duration)] = []
        var credentialRetries: [UInt64] = []
        let now = monotonicNanoseconds()
        let policy = configuration.retry
        for (i, (tag, slot, outcome)) in items.enumerated() {
            let finalsBefore = finals.count
            defer {
                if finals.count > finalsBefore, i < answered.count, answered[i] != .max { latencies.append((slot.job, answered[i])) }
            }
            switch outcome {
            case .accepted:
                finals.append((tag, .sent))
            case .rejected(let reason, let invalidatedAt):
                switch reason.consequence {
                case .invalidToken:
                    let at = invalidatedAt ?? Timestamp(millisecondsSince1970: clock.nowMilliseconds())
                    let removed = slot.job.feedback?.tokenInvalidated(slot.target.token, of: slot.target.installationID, at: at) ?? false
                    finals.append((tag, removed ? .tokenDeleted(reason) : .error(reason.wireValue)))
                case .permanent:
                    finals.append((tag, .error(reason.wireValue)))
                case .credentials:
                    if slot.job.isCancelled {
                        finals.append((tag, .error("cancelled after: \(reason.wireValue)")))
                    } else if slot.credentialRetried {
                        credentialProblem.withLock { $0 = reason }
                        logger.error("gateway refused the credentials after a reissue",
                                     metadata: ["reason": "\(reason)", "send": "\(slot.job.source.token)"])
                        finals.append((tag, .error(reason.wireValue)))
                    } else {
                        slot.job.template.credentialsRejected(generation: slot.generation)
                        credentialRetries.append(tag)
                    }
                case .transient:
                    retries.append(contentsOf: decideRetry(tag, slot, TransientFailure(reason: reason.wireValue, status: reason.status), now, policy, &finals))
                }
            case .failed(let failure):
                retries.append(contentsOf: decideRetry(tag, slot, failure, now, policy, &finals))
            }
        }
        if !credentialRetries.isEmpty || !retries.isEmpty {
            table.withLock { t in
                for tag in credentialRetries { t.slots[Int(tag)]?.credentialRetried = true; t.slots[Int(tag)]?.attempt += 1 }
                for (tag, _) in retries { t.slots[Int(tag)]?.attempt += 1 }
            }
        }
        recordLatencies(latencies, lane: lane)
        finish(finals)
        resend(credentialRetries)
        for (tag, delay) in retries {
            timer.schedule(at: monotonicNanoseconds() &+ delay.wholeNanoseconds) { [self] in resend([tag]) }
        }
    }

    /// Records final attempts' latencies, one lock of the loop's lane per job run in the batch.
    private func recordLatencies(_ latencies: [(DeliveryJob, UInt64)], lane: Int) {
        var start = 0
        while start < latencies.count {
            let job = latencies[start].0
            var end = start + 1
            while end < latencies.count, latencies[end].0 === job { end += 1 }
            job.latency.record(lane: lane, latencies[start..<end].map { $0.1 })
            start = end
        }
    }

    private func decideRetry(_ tag: UInt64, _ slot: Slot, _ failure: TransientFailure, _ now: UInt64,
                             _ policy: RetryPolicy, _ finals: inout [(UInt64, DeliveryEvent.Kind)]) -> [(UInt64, Duration)] {
        if slot.job.isCancelled {
            finals.append((tag, .error("cancelled after: \(failure)")))
            return []
        }
        if closing.load(ordering: .acquiring) {
            finals.append((tag, .error("engine shut down after: \(failure)")))
            return []
        }
        guard slot.attempt < policy.maxAttempts else {
            finals.append((tag, .error("retries exhausted (\(slot.attempt) attempts): \(failure)")))
            return []
        }
        let delay = policy.delay(afterAttempt: slot.attempt, retryAfter: failure.retryAfter)
        guard now &+ delay.wholeNanoseconds < slot.firstSent &+ policy.deadline.wholeNanoseconds else {
            finals.append((tag, .error("retry deadline passed: \(failure)")))
            return []
        }
        return [(tag, delay)]
    }

    /// Starts the periodic sweep for requests the transport never completed (once).
    private func startWatchdog() {
        guard !watchdogStarted.exchange(true, ordering: .relaxed) else { return }
        scheduleSweep()
    }

    private func scheduleSweep() {
        guard !closing.load(ordering: .acquiring) else { return }
        let interval = max(lostAfter / 4, 1_000_000_000)
        timer.schedule(at: monotonicNanoseconds() &+ interval) { [weak self] in self?.sweep() }
    }

    /// Every request gets a completion from the transport by its deadline; should one never
    /// come, the target would wait forever. The sweep treats such a request as a transient
    /// failure (retried or ended), and bumps the slot's serial so a late completion is ignored.
    func sweep() {
        let now = monotonicNanoseconds()
        let limit = lostAfter
        let lost: [(UInt64, Slot)] = table.withLock { t in
            var found: [(UInt64, Slot)] = []
            for i in t.slots.indices {
                guard t.wire[i].onTheWire, now &- t.wire[i].sentAt > limit, let slot = t.slots[i] else { continue }
                t.wire[i].onTheWire = false
                t.wire[i].serial &+= 1
                found.append((UInt64(i), slot))
            }
            return found
        }
        if !lost.isEmpty {
            lostRequests.add(lost.count, ordering: .relaxed)
            logger.warning("requests never completed by the transport; retrying", metadata: ["count": "\(lost.count)"])
            let failure = TransientFailure(reason: "no completion from the transport")
            handle(lost.map { ($0.0, $0.1, DeliveryOutcome.failed(failure)) })
        }
        scheduleSweep()
    }

    /// Re-submits slots (retries), grouped by job; cancelled jobs' slots end as `push_error`.
    private func resend(_ tags: [UInt64]) {
        guard !tags.isEmpty else { return }
        let jobs: [(UInt64, DeliveryJob?)] = table.withLock { t in tags.map { ($0, t.slots[Int($0)]?.job) } }
        var byJob: [ObjectIdentifier: (DeliveryJob, [UInt64])] = [:]
        var cancelled: [(UInt64, DeliveryEvent.Kind)] = []
        for (tag, job) in jobs {
            guard let job else { continue }
            if job.isCancelled {
                cancelled.append((tag, .error("cancelled before retry")))
            } else if closing.load(ordering: .acquiring) {
                cancelled.append((tag, .error("engine shut down before retry")))
            } else {
                byJob[ObjectIdentifier(job), default: (job, [])].1.append(tag)
            }
        }
        finish(cancelled)
        for (_, (job, jobTags)) in byJob { send(tags: jobTags, job: job) }
    }

    /// Frees slots, writes their final events (grouped by job), and releases window places.
    private func finish(_ finals: [(UInt64, DeliveryEvent.Kind)]) {
        guard !finals.isEmpty else { return }
        let freed: [(Slot, DeliveryEvent.Kind)] = table.withLock { t in
            finals.compactMap { tag, kind in t.remove(Int(tag)).map { ($0, kind) } }
        }
        let time = Timestamp(millisecondsSince1970: clock.nowMilliseconds())
        func event(_ slot: Slot, _ kind: DeliveryEvent.Kind) -> DeliveryEvent {
            DeliveryEvent(kind: kind, target: slot.target, platform: slot.job.template.platform,
                          time: time, source: slot.job.source, attempts: slot.attempt)
        }
        if let first = freed.first?.0.job, freed.allSatisfy({ $0.0.job === first }) {
            // The usual case: one send on the wire, no grouping needed.
            first.record(freed.map { event($0.0, $0.1) })
        } else {
            var byJob: [ObjectIdentifier: (DeliveryJob, [DeliveryEvent])] = [:]
            for (slot, kind) in freed {
                byJob[ObjectIdentifier(slot.job), default: (slot.job, [])].1.append(event(slot, kind))
            }
            for (_, (job, events)) in byJob { job.record(events) }
        }
        window.release(freed.count)
    }

    /// Waits for in-flight targets to end (up to `timeout`), then stops retrying (waiting
    /// retries and later transient failures end as `push_error`), closes the connections
    /// gracefully and waits (at most 5 s more) for the requests still on the wire to come back.
    /// Returns whether everything ended within the timeout.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(30)) -> Bool {
        let deadline = monotonicNanoseconds() &+ timeout.wholeNanoseconds
        let drained = window.waitUntilEmpty(deadline: deadline)
        // From here on nothing is retried: failures and waiting retries end as push_error.
        closing.store(true, ordering: .releasing)
        timer.stop()
        pool.shutdown()
        // Requests still on the wire finish or come back as failures through `complete`.
        _ = window.waitUntilEmpty(deadline: max(deadline, monotonicNanoseconds() &+ 5_000_000_000))
        return drained
    }
}

/// Lets the pool's completion handler reach its sender, which is created after the pool.
/// `@unchecked Sendable`: `weakSender` is written once under `lock` before any request is
/// submitted, and read under it.
final class CompletionRouter: @unchecked Sendable {
    private let lock = Mutex(())
    private weak var weakSender: GatewaySender?

    var sender: GatewaySender? { lock.withLock { _ in weakSender } }

    func set(_ sender: GatewaySender) { lock.withLock { _ in weakSender = sender } }
}
