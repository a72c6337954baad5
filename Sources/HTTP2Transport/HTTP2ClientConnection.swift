#if canImport(Glibc)
import Glibc
#endif
import PushSync
import Synchronization

// Loop-thread-only stored properties in this file are `@exclusivity(unchecked)`: one thread
// touches them and no access overlaps another, so dynamic exclusivity checks buy nothing.

/// Where and how a client connects.
public struct HTTP2ClientConfiguration: Sendable {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// TLS settings; `nil` means h2c with prior knowledge (tests, benchmarks).
    public var tls: TLSClientConfiguration?
    /// `:authority`; defaults to `host`.
    public var authority: String?
    /// Our cap on concurrent streams per connection; the effective limit is the smaller of this
    /// and the peer's `SETTINGS_MAX_CONCURRENT_STREAMS`.
    public var maxConcurrentStreams: Int
    /// Deadline for a request with no timeout of its own.
    public var requestTimeout: Duration
    /// Time allowed for TCP + TLS + HTTP/2 set-up.
    public var connectTimeout: Duration
    /// Send a PING after this much idle time; zero disables keepalive.
    public var pingInterval: Duration
    /// Close the connection when a PING is not answered within this time.
    public var pingTimeout: Duration
    /// Response headers to keep (lower-case); `nil` keeps all. Fewer headers, fewer allocations.
    public var responseHeaderNames: Set<String>?

    /// Creates a configuration with defaults suited to APNs-style gateways.
    public init(
        host: String, port: Int, tls: TLSClientConfiguration? = TLSClientConfiguration(),
        authority: String? = nil, maxConcurrentStreams: Int = 1000,
        requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10),
        pingInterval: Duration = .seconds(60), pingTimeout: Duration = .seconds(10),
        responseHeaderNames: Set<String>? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.authority = authority
        self.maxConcurrentStreams = maxConcurrentStreams
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.responseHeaderNames = responseHeaderNames
    }
}

/// One HTTP/2 client connection, bound to one event loop.
///
/// `submit` may be called from any thread; every submitted request gets exactly one
/// `HTTP2Completion`, delivered in batches to the completion handler on the loop thread:
/// a response, or a typed failure whose `isRetryable` says whether resending is safe.
/// Connecting starts at init; requests submitted meanwhile wait.
///
/// `@unchecked Sendable`: the cross-thread surface is `inbox` (a `Mutex`), the atomics, and
/// immutable fields; `driver` and the sans-IO core are touched only on `loop`'s thread.
public final class HTTP2ClientConnection: @unchecked Sendable {
    /// The connection's life stages.
    public enum State: Int, Sendable {
        /// TCP / TLS / HTTP/2 set-up in progress.
        case connecting
        /// Taking requests.
        case ready
        /// GOAWAY received or sent: finishing in-flight streams, taking no new ones.
        case draining
        /// Closed; every request has had its completion.
        case closed
    }

    /// The loop that owns this connection.
    public let loop: EventLoop
    /// The configuration it was made with.
    public let configuration: HTTP2ClientConfiguration
    private let inbox = Locked<[HTTP2Request]>([])
    private let inboxScheduled = Atomic<Bool>(false)
    private let stateValue = Atomic<Int>(State.connecting.rawValue)
    private let loadValue = Atomic<Int>(0)
    private let peakStreams = Atomic<Int>(0)
    private let closeReason = Locked<HTTP2TransportError?>(nil)
    private let driver: ClientDriver

    /// Creates the connection and starts connecting on `loop`.
    /// - Parameters:
    ///   - onCompletions: receives every completion, in batches, on the loop thread.
    ///   - onClose: called once on the loop thread when the connection has closed, after
    ///     the last completion; the error is nil for a clean, requested close.
    public init(
        configuration: HTTP2ClientConfiguration, loop: EventLoop,
        onCompletions: @escaping HTTP2CompletionHandler,
        onClose: (@Sendable (HTTP2ClientConnection, HTTP2TransportError?) -> Void)? = nil
    ) throws(HTTP2TransportError) {
        self.loop = loop
        self.configuration = configuration
        let tlsContext = try configuration.tls.map { c throws(HTTP2TransportError) in try TLSContext(client: c) }
        driver = ClientDriver(loop: loop, configuration: configuration, tlsContext: tlsContext,
                              onCompletions: onCompletions)
        driver.owner = self
        driver.onClose = onClose
        loop.execute(with: driver) { $0.start() }
        // Name resolution never runs on the loop thread: a slow DNS answer would stall every
        // connection of the loop. An address literal is parsed here (no lookup); a name is
        // looked up on a short-lived thread, which hands the addresses to the loop.
        let host = configuration.host, port = configuration.port
        if let addresses = Socket.numericAddresses(host: host, port: port) {
            loop.execute(with: driver) { $0.connect(to: .success(addresses)) }
        } else {
            let bound = LoopBound(value: driver)
            PushThread.detach {
                let resolved = Result { () throws(HTTP2TransportError) in try Socket.resolve(host: host, port: port) }
                loop.execute { bound.value.connect(to: resolved) }
            }
        }
    }

    /// The current state.
    public var state: State { State(rawValue: stateValue.load(ordering: .acquiring))! }

    /// Requests submitted and not yet completed (queued + in flight).
    public var load: Int { loadValue.load(ordering: .relaxed) }

    /// The most streams this connection ever had open at once.
    public var peakOpenStreams: Int { peakStreams.load(ordering: .relaxed) }

    /// Why the connection closed, if it did not close cleanly.
    public var closeError: HTTP2TransportError? { closeReason.withLock { $0 } }

    /// Submits requests. Thread-safe. Each gets exactly one completion.
    public func submit(_ requests: [HTTP2Request]) {
        guard !requests.isEmpty else { return }
        loadValue.wrappingAdd(requests.count, ordering: .relaxed)
        if loop.inLoop {
            driver.enqueue(requests)
            return
        }
        // An empty inbox takes the array itself (no per-request copy).
        inbox.withLock { i in if i.isEmpty { i = requests } else { i.append(contentsOf: requests) } }
        if !inboxScheduled.exchange(true, ordering: .acquiringAndReleasing) {
            // The task holds the connection (and so its inbox) until the inbox is drained: a
            // connection released right after submit must still complete these requests.
            let driver = LoopBound(value: self.driver)
            loop.execute { [self] in driver.value.drainInbox(from: self) }
        }
    }

    /// Submits one request. Thread-safe.
    public func submit(_ request: HTTP2Request) { submit([request]) }

    /// Stops taking requests (GOAWAY), lets in-flight requests finish, then closes.
    public func close() {
        loop.execute(with: driver) { $0.drain() }
    }

    // Called by the driver on the loop thread.
    fileprivate func takeInbox() -> [HTTP2Request] {
        inboxScheduled.store(false, ordering: .releasing)
        return inbox.withLock { i in
            let b = i
            i.removeAll(keepingCapacity: true)
            return b
        }
    }
    fileprivate func setState(_ s: State) { stateValue.store(s.rawValue, ordering: .releasing) }
    fileprivate func completed(_ n: Int) { loadValue.wrappingSubtract(n, ordering: .relaxed) }
    fileprivate func notePeak(_ n: Int) { if n > peakStreams.load(ordering: .relaxed) { peakStreams.store(n, ordering: .relaxed) } }
    fileprivate func setCloseError(_ e: HTTP2TransportError?) { closeReason.withLock { $0 = e } }
}

/// The loop-bound half of `HTTP2ClientConnection`: socket, TLS + nghttp2 core, timers.
final class ClientDriver: SocketConnection {
    let configuration: HTTP2ClientConfiguration
    let tlsContext: TLSContext?
    let onCompletions: HTTP2CompletionHandler
    weak var owner: HTTP2ClientConnection?
    @exclusivity(unchecked) var onClose: (@Sendable (HTTP2ClientConnection, HTTP2TransportError?) -> Void)?
    @exclusivity(unchecked) private var core: HTTP2ClientCore?
    @exclusivity(unchecked) private var early: [HTTP2Request] = []
    @exclusivity(unchecked) private var connected = false
    @exclusivity(unchecked) private var tickTimer: UInt64?
    @exclusivity(unchecked) private var finished = false
    /// Why the connection ended, for requests that arrive after it did (nil: closed on purpose).
    @exclusivity(unchecked) private var finishError: HTTP2TransportError?

    /// The not-sent reason for requests that reach a finished connection: the cause when known
    /// (a TLS alert, say), so a retry that lands here still says what went wrong.
    private var closedReason: String {
        finishError.map { "connection closed: \($0)" } ?? "connection closed"
    }
    @exclusivity(unchecked) private var strongOwner: HTTP2ClientConnection?

    init(loop: EventLoop, configuration: HTTP2ClientConfiguration, tlsContext: TLSContext?,
         onCompletions: @escaping HTTP2CompletionHandler) {
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.onCompletions = onCompletions
        super.init(loop: loop)
    }

    func start() {
        strongOwner = owner  // keep the public object alive until the connection has closed
        let now = monotonicNanoseconds()
        let authority = configuration.authority ?? configuration.host
        do throws(HTTP2TransportError) {
            var tls: TLSSession?
            if let ctx = tlsContext {
                tls = try TLSSession(context: ctx, peerHost: configuration.tls?.serverName ?? configuration.host)
            }
            core = HTTP2ClientCore(tls: tls, authority: authority,
                                   maxConcurrentStreams: configuration.maxConcurrentStreams,
                                   defaultTimeout: configuration.requestTimeout,
                                   responseHeaderNames: configuration.responseHeaderNames, now: now)
            if !early.isEmpty {
                core!.enqueue(early, now: now)
                early = []
            }
        } catch {
            finish(error)
            return
        }
        let deadline = now &+ configuration.connectTimeout.wholeNanoseconds
        tickTimer = loop.schedule(at: deadline) { [weak self] in
            guard let self, !self.finished, !(self.core?.isReady ?? false) else { return }
            self.finish(.connectFailed(host: self.configuration.host, port: self.configuration.port,
                                       reason: "timed out after \(self.configuration.connectTimeout)"))
        }
    }

    /// Connects to the first of the addresses ``HTTP2ClientConnection/init`` resolved (off this
    /// thread); runs after ``start()``. The connect timeout, armed by `start`, covers the lookup.
    func connect(to resolved: Result<[(family: Int32, address: [UInt8])], HTTP2TransportError>) {
        guard !finished else { return }
        do throws(HTTP2TransportError) {
            guard let a = try resolved.get().first else {
                throw .resolveFailed(host: configuration.host, reason: "no address")
            }
            let fd: Int32
            do { fd = try Socket.startConnect(family: a.family, address: a.address) } catch {
                if case .connectFailed(_, _, let r) = error {
                    throw .connectFailed(host: configuration.host, port: configuration.port, reason: r)
                }
                throw error
            }
            attach(fd: fd, wantWrite: true)
        } catch {
            finish(error)
            return
        }
        scheduleTick()
    }

    private func scheduleTick() {
        loop.schedule(at: monotonicNanoseconds() &+ 50_000_000) { [weak self] in
            guard let self, !self.finished, let core = self.core else { return }
            let alive = core.tick(now: monotonicNanoseconds(),
                                  pingInterval: self.configuration.pingInterval.wholeNanoseconds,
                                  pingTimeout: self.configuration.pingTimeout.wholeNanoseconds)
            if !alive {
                self.finish(.connectionLost(reason: "keepalive PING unanswered for \(self.configuration.pingTimeout)"))
                return
            }
            self.markDirty()
            self.scheduleTick()
        }
    }

    func enqueue(_ requests: [HTTP2Request]) {
        if finished {
            // Deliver on a later turn of the loop: a completion handler that resubmits to a
            // closed connection must not recurse.
            let reason = closedReason
            let batch = requests.map { HTTP2Completion(tag: $0.tag, result: .failure(.notSent(reason: reason))) }
            loop.execute(with: self) { $0.deliverNow(batch) }
            return
        }
        guard let core else {
            early.append(contentsOf: requests)
            return
        }
        core.enqueue(requests, now: 0)
        markDirty()
    }

    func drainInbox(from owner: HTTP2ClientConnection) {
        enqueue(owner.takeInbox())
    }

    func drain() {
        guard let core, !finished else { return }
        core.drain()
        owner?.setState(.draining)
        markDirty()
    }

    override func writable() {
        if !connected {
            let err = Socket.pendingError(fd)
            if err != 0 {
                finish(.connectFailed(host: configuration.host, port: configuration.port, reason: Socket.errorText(err)))
                return
            }
            connected = true
            if tlsContext == nil { owner?.setState(.ready) }
        }
        flush()
    }

    override func received(_ bytes: UnsafeRawBufferPointer) {
        guard let core else { return }
        let wasReady = core.isReady
        do {
            try core.ingest(bytes)
        } catch {
            finish(error)
            return
        }
        if !wasReady && core.isReady { owner?.setState(core.isDraining ? .draining : .ready) }
        core.noteActivity(monotonicNanoseconds())
    }

    override func afterRead() {
        deliver()
        flush()
    }

    override func flush() {
        super.flush()
        guard let core, !finished else { return }
        if connected {
            do {
                try core.produce(into: out)
            } catch {
                finish(error)
                return
            }
            owner?.notePeak(core.openStreams)
            guard writeOut() else { return }
        }
        deliver()
        if core.isDraining {
            owner?.setState(.draining)
            if core.openStreams == 0 && out.isEmpty && !core.wantsWrite {
                finish(nil)
            }
        } else if core.peerClosedTLS {
            finish(.connectionLost(reason: "peer closed TLS"))
        }
    }

    private func deliver() {
        guard let core, core.hasCompletions else { return }
        deliverNow(core.takeCompletions())
    }

    func deliverNow(_ batch: [HTTP2Completion]) {
        guard !batch.isEmpty else { return }
        owner?.completed(batch.count)
        onCompletions(batch)
    }

    override func peerClosed(reason: String) {
        finish(.connectionLost(reason: reason))
    }

    /// Ends the connection: every outstanding request gets its completion, then `onClose`.
    private func finish(_ error: HTTP2TransportError?) {
        guard !finished else { return }
        finished = true
        finishError = error
        if let core {
            core.fail(error ?? .notSent(reason: "connection closed"))
            if !early.isEmpty { core.enqueue(early, now: 0); early = [] }
        } else if !early.isEmpty {
            let e = error ?? .notSent(reason: "connection closed")
            deliverNow(early.map { .init(tag: $0.tag, result: .failure(e.isRetryable ? e : .notSent(reason: e.description))) })
            early = []
        }
        if !isClosed {
            if connected && out.isEmpty == false { _ = writeOut() }
            closeSocket()
        }
        deliver()
        // Requests that raced in through the inbox after closing still get their completion.
        if let owner {
            let late = owner.takeInbox()
            if !late.isEmpty {
                let reason = closedReason
                deliverNow(late.map { .init(tag: $0.tag, result: .failure(.notSent(reason: reason))) })
            }
            owner.setCloseError(error)
            owner.setState(.closed)
            onClose?(owner, error)
        }
        strongOwner = nil
    }
}
