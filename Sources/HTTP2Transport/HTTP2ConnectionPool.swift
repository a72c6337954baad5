import Synchronization
import PushSync

/// Settings of a connection pool to one origin.
public struct HTTP2ConnectionPoolConfiguration: Sendable {
    /// How each connection connects.
    public var connection: HTTP2ClientConfiguration
    /// Number of connections kept open.
    public var connections: Int
    /// First delay before replacing a connection that failed; doubles up to `maxBackoff`.
    public var initialBackoff: Duration
    /// Longest delay between replacement attempts.
    public var maxBackoff: Duration

    /// Creates a configuration.
    public init(connection: HTTP2ClientConfiguration, connections: Int = 2,
                initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(10)) {
        self.connection = connection
        self.connections = max(1, connections)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }
}

/// N HTTP/2 connections to one origin, spread over an `EventLoopGroup`. Requests go to the
/// least-loaded usable connection; a connection that closes (GOAWAY, loss, failure to connect)
/// is replaced after a backoff that grows while replacements keep failing.
///
/// Every submitted request gets exactly one completion through the pool's handler. Retrying is
/// the caller's decision: failures say `isRetryable`.
///
/// `@unchecked Sendable`: mutable state lives in `state` (a ``StateMachine`` behind a `Mutex`);
/// connections are themselves Sendable; nothing else is mutated after init. The lock is never
/// held while a connection is created or closed.
public final class HTTP2ConnectionPool: @unchecked Sendable {
    /// The configuration.
    public let configuration: HTTP2ConnectionPoolConfiguration
    private let group: EventLoopGroup
    private let onCompletions: HTTP2CompletionHandler
    private let state: Locked<StateMachine>
    private let closed = Atomic<Bool>(false)
    private let replacements = Atomic<Int>(0)
    private let lastError = Locked<HTTP2TransportError?>(nil)

    /// Creates the pool and starts connecting.
    public init(configuration: HTTP2ConnectionPoolConfiguration, group: EventLoopGroup,
                onCompletions: @escaping HTTP2CompletionHandler) throws(HTTP2TransportError) {
        self.configuration = configuration
        self.group = group
        self.onCompletions = onCompletions
        state = Locked(StateMachine(connections: configuration.connections, initialBackoff: configuration.initialBackoff,
                                    maxBackoff: configuration.maxBackoff))
        for i in 0..<configuration.connections {
            try open(slot: i)
        }
    }

    /// Connections made to replace closed ones.
    public var replacementCount: Int { replacements.load(ordering: .relaxed) }

    /// The last error that closed a connection, if any.
    public var lastConnectionError: HTTP2TransportError? { lastError.withLock { $0 } }

    /// Current connections (some may be connecting or draining).
    public var connections: [HTTP2ClientConnection] { state.withLock { $0.slots.compactMap(\.connection) } }

    /// Requests submitted and not yet completed, over all connections.
    public var load: Int { connections.reduce(0) { $0 + $1.load } }

    private func open(slot i: Int) throws(HTTP2TransportError) {
        let loop = group.loops[i % group.loops.count]
        let generation = state.withLock { $0.startOpening(slot: i) }
        // Created outside the lock: the connection may close on its loop before `init` returns;
        // its close handler then finds the slot at this generation and schedules the replacement.
        let conn = try HTTP2ClientConnection(
            configuration: configuration.connection, loop: loop, onCompletions: onCompletions,
            onClose: { [weak self] _, error in self?.connectionClosed(slot: i, generation: generation, error: error) })
        state.withLock { $0.opened(slot: i, generation: generation, connection: conn) }
        // A shutdown that ran while the connection was being made did not see it.
        if closed.load(ordering: .acquiring) { conn.close() }
    }

    /// Submits requests, spreading them over usable connections by load.
    /// When no connection is usable (all closed or draining, or the pool is shut down) the
    /// requests complete at once with a retryable `.notSent`.
    public func submit(_ requests: [HTTP2Request]) {
        guard !requests.isEmpty else { return }
        let usable = state.withLock { s in
            s.slots.compactMap(\.connection).filter { $0.state == .ready || $0.state == .connecting }
        }
        if usable.isEmpty || closed.load(ordering: .relaxed) {
            let reason = closed.load(ordering: .relaxed) ? "pool is shut down"
                : lastConnectionError.map { "no usable connection (last error: \($0))" } ?? "no usable connection"
            let batch = requests.map { HTTP2Completion(tag: $0.tag, result: .failure(.notSent(reason: reason))) }
            let handler = onCompletions
            group.next().execute { handler(batch) }
            return
        }
        if usable.count == 1 || requests.count == 1 {
            let target = usable.min { $0.load < $1.load }!
            target.submit(requests)
            return
        }
        // Split the batch in proportion to free room, evenly when loads are equal.
        var loads = usable.map(\.load)
        var buckets = Array(repeating: [HTTP2Request](), count: usable.count)
        for r in requests {
            var best = 0
            for j in 1..<loads.count where loads[j] < loads[best] { best = j }
            buckets[best].append(r)
            loads[best] += 1
        }
        for (c, b) in zip(usable, buckets) where !b.isEmpty { c.submit(b) }
    }

    /// Submits one request.
    public func submit(_ request: HTTP2Request) { submit([request]) }

    private func connectionClosed(slot i: Int, generation: UInt64, error: HTTP2TransportError?) {
        if let error { lastError.withLock { $0 = error } }
        guard !closed.load(ordering: .relaxed) else { return }
        let action = state.withLock { $0.closed(slot: i, generation: generation, error: error) }
        run(action)
    }

    /// Runs what the state machine decided, with the lock released.
    private func run(_ action: StateMachine.Action) {
        switch action {
        case .none:
            return
        case .replace(let i, let delay):
            let loop = group.loops[i % group.loops.count]
            let due = monotonicNanoseconds() &+ delay.wholeNanoseconds
            loop.execute { [weak self] in
                guard let self else { return }
                loop.schedule(at: due) { [weak self] in
                    guard let self, !self.closed.load(ordering: .relaxed) else { return }
                    self.replacements.wrappingAdd(1, ordering: .relaxed)
                    do throws(HTTP2TransportError) { try self.open(slot: i) } catch {
                        self.lastError.withLock { $0 = error }
                    }
                }
            }
        }
    }

    /// Closes every connection gracefully (in-flight requests finish; queued ones come back
    /// as `.notSent`). Connections are not replaced afterwards.
    public func shutdown() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for c in connections { c.close() }
    }
}
