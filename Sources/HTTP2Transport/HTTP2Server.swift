#if canImport(Glibc)
import Glibc
#endif
import PushSync
import Dispatch
public import Logging
import Synchronization

// Loop-thread-only stored properties in this file are `@exclusivity(unchecked)`: one thread
// touches them and no access overlaps another, so dynamic exclusivity checks buy nothing.

/// How an `HTTP2Server` listens and serves.
public struct HTTP2ServerConfiguration: Sendable {
    /// Address to bind (tests: 127.0.0.1).
    public var host: String
    /// Port; 0 picks a free one (read it from `HTTP2Server.port`).
    public var port: Int
    /// TLS certificate and key; `nil` serves h2c with prior knowledge.
    public var tls: TLSServerConfiguration?
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` advertised to clients.
    public var maxConcurrentStreams: UInt32
    /// Request bodies larger than this are answered 413 without reaching the handler.
    public var maxRequestBodySize: Int
    /// Event-loop threads (one listener per loop, SO_REUSEPORT); default one per core.
    public var threads: Int

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 0, tls: TLSServerConfiguration? = nil,
        maxConcurrentStreams: UInt32 = 1000, maxRequestBodySize: Int = 1 << 20,
        threads: Int = EventLoopGroup.coreCount
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxRequestBodySize = maxRequestBodySize
        self.threads = threads
    }
}

/// Counters a server keeps while it runs.
public struct HTTP2ServerStatistics: Sendable, Hashable {
    /// Connections accepted.
    public var connectionsAccepted: Int
    /// Connections currently open.
    public var connectionsOpen: Int
    /// Responses submitted.
    public var requestsServed: Int
    /// Connections closed because of TLS or HTTP/2 protocol errors (garbage, bad HPACK…).
    public var protocolErrors: Int
    /// PING frames received from clients (keepalive; ACKs not counted). Each is answered by
    /// nghttp2 on the same connection.
    public var pingsReceived: Int
}

/// An HTTP/2 server (TLS with ALPN `h2`, or h2c) on its own event loops. Each complete
/// request goes to the handler on the loop thread of its connection.
///
/// A server runs until ``shutdown(gracePeriod:)``: its listeners and connections keep it
/// alive, so dropping the last reference does not stop it (or crash it).
///
/// A protocol error, garbage bytes or a failed handshake closes that one connection (logged);
/// a throwing handler answers 500 on that stream only.
///
/// `@unchecked Sendable`: shared state is the atomics and `connections` (behind a `Mutex`);
/// listeners and connections are loop-bound and touched only through `EventLoop.execute`.
public final class HTTP2Server: @unchecked Sendable {
    /// The configuration.
    public let configuration: HTTP2ServerConfiguration
    private let handler: any HTTP2ServerHandler
    private let logger: Logger
    private let group: EventLoopGroup
    private let tlsContext: TLSContext?
    private let listeners = Locked<[LoopBound<Listener>]>([])
    private let connections = Locked<[UInt64: LoopBound<ServerConnection>]>([:])
    private let nextConnectionID = Atomic<UInt64>(1)
    fileprivate let accepted = Atomic<Int>(0)
    fileprivate let served = Atomic<Int>(0)
    fileprivate let protocolErrors = Atomic<Int>(0)
    fileprivate let pings = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The bound port (the real one when 0 was asked for).
    public private(set) var port: Int = 0

    /// Creates a server and starts listening.
    public init(
        configuration: HTTP2ServerConfiguration, handler: any HTTP2ServerHandler,
        logger: Logger = Logger(label: "pushengine.http2.server")
    ) throws(HTTP2TransportError) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        tlsContext = try configuration.tls.map { c throws(HTTP2TransportError) in try TLSContext(server: c) }
        group = EventLoopGroup(threads: configuration.threads)
        var boundPort = configuration.port
        var fds: [Int32] = []
        do {
            for _ in group.loops {
                let (fd, p) = try Socket.listen(host: configuration.host, port: boundPort)
                boundPort = p
                fds.append(fd)
            }
        } catch {
            for fd in fds { close(fd) }
            group.shutdown()
            throw error
        }
        port = boundPort
        let ready = DispatchSemaphore(value: 0)
        for (loop, fd) in zip(group.loops, fds) {
            let listener = Listener(loop: loop, fd: fd, server: self)
            listeners.withLock { $0.append(LoopBound(value: listener)) }
            loop.execute(with: listener) { l in
                l.start()
                ready.signal()
            }
        }
        for _ in fds { ready.wait() }
    }

    /// Current counters.
    public var statistics: HTTP2ServerStatistics {
        HTTP2ServerStatistics(
            connectionsAccepted: accepted.load(ordering: .relaxed),
            connectionsOpen: connections.withLock { $0.count },
            requestsServed: served.load(ordering: .relaxed),
            protocolErrors: protocolErrors.load(ordering: .relaxed),
            pingsReceived: pings.load(ordering: .relaxed))
    }

    /// Stops accepting, sends GOAWAY on every connection, waits up to `gracePeriod` for
    /// in-flight streams to finish, closes what remains, and stops the loops. Idempotent;
    /// blocks the caller (do not call from a handler).
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let done = DispatchSemaphore(value: 0)
        let ls = listeners.withLock { $0 }
        for l in ls {
            l.value.loop.execute(with: l.value) { $0.stop(); done.signal() }
        }
        for _ in ls { done.wait() }
        for c in connections.withLock({ Array($0.values) }) {
            c.value.loop.execute(with: c.value) { $0.startDraining() }
        }
        let deadline = monotonicNanoseconds() &+ gracePeriod.wholeNanoseconds
        while monotonicNanoseconds() < deadline && connections.withLock({ !$0.isEmpty }) {
            usleep(2_000)
        }
        let remaining = connections.withLock { Array($0.values) }
        let closed = DispatchSemaphore(value: 0)
        for c in remaining {
            c.value.loop.execute(with: c.value) { $0.forceClose(); closed.signal() }
        }
        for _ in remaining { closed.wait() }
        group.shutdown()
    }

    // MARK: Loop-side plumbing

    fileprivate func accept(fd: Int32, on loop: EventLoop) {
        if stopping.load(ordering: .relaxed) {
            close(fd)
            return
        }
        let id = nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
        var tls: TLSSession?
        if let ctx = tlsContext {
            do { tls = try TLSSession(context: ctx, peerHost: nil) } catch {
                logger.error("cannot create TLS session", metadata: ["error": "\(error)"])
                close(fd)
                return
            }
        }
        let core = HTTP2ServerCore(connectionID: id, handler: handler, tls: tls,
                                   maxConcurrentStreams: configuration.maxConcurrentStreams,
                                   maxRequestBody: configuration.maxRequestBodySize)
        let conn = ServerConnection(loop: loop, core: core, server: self)
        accepted.wrappingAdd(1, ordering: .relaxed)
        connections.withLock { $0[id] = LoopBound(value: conn) }
        handler.connectionOpened(id)
        conn.attach(fd: fd, wantWrite: true)
        conn.flush()
    }

    fileprivate func connectionClosed(_ id: UInt64, error: HTTP2TransportError?) {
        connections.withLock { _ = $0.removeValue(forKey: id) }
        if let error {
            protocolErrors.wrappingAdd(1, ordering: .relaxed)
            logger.warning("closed connection after error", metadata: ["connection": "\(id)", "error": "\(error)"])
        }
        handler.connectionClosed(id)
    }
}

/// A listening socket on one loop.
final class Listener: LoopHandler {
    let loop: EventLoop
    let fd: Int32
    let server: HTTP2Server  // strong: a running server lives until shutdown(), like its threads
    @exclusivity(unchecked) private var open = false

    init(loop: EventLoop, fd: Int32, server: HTTP2Server) {
        self.loop = loop
        self.fd = fd
        self.server = server
    }

    func start() {
        open = true
        loop.register(fd: fd, events: epollIn, handler: self)
    }

    func handle(events: UInt32) {
        while open, let c = Socket.accept(fd) {
            server.accept(fd: c, on: loop)
        }
    }

    func stop() {
        guard open else { return }
        open = false
        loop.unregister(fd: fd)
        close(fd)
    }
}

/// The loop-bound driver of one server connection.
final class ServerConnection: SocketConnection {
    let core: HTTP2ServerCore
    let server: HTTP2Server  // strong: a running server lives until shutdown(), like its threads
    @exclusivity(unchecked) private var finished = false
    @exclusivity(unchecked) private var dueTimer: UInt64?
    @exclusivity(unchecked) private var dueAt: UInt64 = 0
    @exclusivity(unchecked) private var servedReported = 0
    @exclusivity(unchecked) private var pingsReported = 0

    init(loop: EventLoop, core: HTTP2ServerCore, server: HTTP2Server) {
        self.core = core
        self.server = server
        super.init(loop: loop)
    }

    override func received(_ bytes: UnsafeRawBufferPointer) {
        do {
            try core.ingest(bytes)
        } catch {
            // Let a TLS alert (e.g. "certificate required") or nghttp2's GOAWAY out, then close
            // this one connection, so the client learns why.
            core.drainTLSAlerts(into: out)
            try? core.produce(into: out)
            _ = writeOut()
            finish(error)
        }
    }

    override func afterRead() { flush() }

    override func flush() {
        super.flush()
        guard !finished else { return }
        do {
            try core.produce(into: out)
        } catch {
            finish(error)
            return
        }
        guard writeOut() else { return }
        let served = core.requestsServed
        if served != servedReported {
            server.served.wrappingAdd(served - servedReported, ordering: .relaxed)
            servedReported = served
        }
        let pings = core.pingsReceived
        if pings != pingsReported {
            server.pings.wrappingAdd(pings - pingsReported, ordering: .relaxed)
            pingsReported = pings
        }
        if core.dropRequested {
            finish(nil)
            return
        }
        if core.stopReadingRequested && !readingPaused {
            readingPaused = true
            setInterest(read: false, write: !out.isEmpty)
        }
        if let due = core.nextDue, dueTimer == nil || due < dueAt {
            if let t = dueTimer { loop.cancelTimer(t) }
            dueAt = due
            dueTimer = loop.schedule(at: due) { [weak self] in
                guard let self else { return }
                self.dueTimer = nil
                self.core.fireDue(now: monotonicNanoseconds())
                self.flush()
            }
        }
        if (core.isDrained || !core.isAlive) && out.isEmpty {
            finish(nil)
        }
    }

    override func peerClosed(reason: String) {
        finish(nil)
    }

    func startDraining() {
        guard !finished else { return }
        core.startDraining()
        flush()
    }

    func forceClose() { finish(nil) }

    private func finish(_ error: HTTP2TransportError?) {
        guard !finished else { return }
        finished = true
        if let t = dueTimer { loop.cancelTimer(t) }
        closeSocket()
        server.connectionClosed(core.connectionID, error: error)
    }
}
