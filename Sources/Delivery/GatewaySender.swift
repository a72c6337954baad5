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
    let clock: PushClock
    let logger: Logger
    let timer = RetryTimer()
    let table = Locked(SlotTable())
    let credentialProblem = Locked<RejectionReason?>(nil)
    let strays = Atomic<Int>(0)
    let closing = Atomic<Bool>(false)
    let watchdogStarted = Atomic<Bool>(false)
    let lostRequests = Atomic<Int>(0)
    /// The credential generation of the last requests built: first attempts are inserted with
    /// it, and corrected only when the requests turn out to carry another.
    let lastGeneration = Atomic<UInt64>(0)
    /// The pool's event loops: a completion batch's latencies go to the lane of the loop it runs on.
    let loops: [EventLoop]

    /// Connects the pool.
    /// - Throws: `HTTP2TransportError` when the TLS configuration is unusable.
    public init(configuration: GatewaySenderConfiguration, group: EventLoopGroup, clock: PushClock = .system,
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

    /// The most targets ever between submission and final event at once (tests: the window holds).
    var peakInFlight: Int { table.withLock { $0.peak } }

    /// The credential rejection that survived a reissue, if any: the app's credentials need attention.
    public var credentialsFlag: RejectionReason? { credentialProblem.withLock { $0 } }

    /// Completions that matched no in-flight request (stale after a watchdog retry; should stay 0).
    public var strayCompletions: Int { strays.load(ordering: .relaxed) }

    /// Requests the transport never completed, which the watchdog retried (should stay 0).
    public var lostRequestCount: Int { lostRequests.load(ordering: .relaxed) }

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
    func send(tags: [UInt64], job: DeliveryJob) {
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
