import PushSync
import Synchronization

/// A closed-loop HTTP/2 load generator, the transport's equivalent of `h2load -n N -c C -m M`:
/// C connections, each keeping M requests in flight, until N requests have completed.
/// Used by `pushengine transport load` and `scripts/bench-transport.sh` to compare our client
/// with h2load against the same server in the same run.
public struct HTTP2LoadGenerator: Sendable {
    /// Where to connect (TLS or h2c) and per-connection settings.
    public var connection: HTTP2ClientConfiguration
    /// Connections (h2load `-c`).
    public var connections: Int
    /// Requests in flight per connection (h2load `-m`).
    public var streamsPerConnection: Int
    /// Total requests (h2load `-n`).
    public var requests: Int
    /// The request sent every time (the tag is overwritten).
    public var template: HTTP2Request
    /// Event-loop threads (h2load `-t`).
    public var threads: Int

    /// Creates a generator.
    public init(connection: HTTP2ClientConfiguration, connections: Int, streamsPerConnection: Int,
                requests: Int, template: HTTP2Request, threads: Int) {
        self.connection = connection
        self.connections = max(1, connections)
        self.streamsPerConnection = max(1, streamsPerConnection)
        self.requests = max(1, requests)
        self.template = template
        self.threads = max(1, threads)
    }

    /// What a run measured.
    public struct Result: Sendable {
        /// Requests completed with a response.
        public var succeeded: Int
        /// Requests that failed (transport errors).
        public var failed: Int
        /// Responses by status code.
        public var statuses: [Int: Int]
        /// Wall time from the first connect to the last completion, in seconds.
        public var seconds: Double
        /// Completed requests per second.
        public var requestsPerSecond: Double { Double(succeeded + failed) / max(seconds, 1e-9) }
        /// The first transport error seen, if any.
        public var firstError: HTTP2TransportError?
    }

    /// Runs the load and blocks until every request has completed.
    public func run() throws(HTTP2TransportError) -> Result {
        let group = EventLoopGroup(threads: threads)
        defer { group.shutdown() }
        let state = LoadState(total: requests)
        var config = connection
        config.maxConcurrentStreams = streamsPerConnection
        config.responseHeaderNames = []
        let start = monotonicNanoseconds()
        var conns: [HTTP2ClientConnection] = []
        let template = self.template
        for i in 0..<connections {
            let box = ConnectionBox()
            let conn = try HTTP2ClientConnection(
                configuration: config, loop: group.loops[i % group.loops.count],
                onCompletions: { batch in
                    state.record(batch)
                    let more = state.claim(batch.count)
                    if more > 0, let c = box.connection.withLock({ $0 }) {
                        c.submit(Array(repeating: template, count: more))
                    }
                },
                onClose: { _, error in if let error { state.noteClose(error) } })
            box.connection.withLock { $0 = conn }
            conns.append(conn)
        }
        for c in conns {
            let n = state.claim(streamsPerConnection)
            if n > 0 { c.submit(Array(repeating: template, count: n)) }
        }
        state.waitUntilDone()
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        for c in conns { c.close() }
        return state.result(seconds: seconds)
    }
}

private final class ConnectionBox: Sendable {
    let connection = Locked<HTTP2ClientConnection?>(nil)
}

private final class LoadState: Sendable {
    let total: Int
    let remaining: Atomic<Int>
    let completed = Atomic<Int>(0)
    private let doneLock = ConditionLock()
    private let done = ConditionGuarded(false)  // guarded by doneLock
    let tally = Locked<(ok: Int, failed: Int, statuses: [Int: Int], firstError: HTTP2TransportError?)>((0, 0, [:], nil))

    init(total: Int) {
        self.total = total
        remaining = Atomic(total)
    }

    func claim(_ n: Int) -> Int {
        while true {
            let r = remaining.load(ordering: .relaxed)
            if r <= 0 { return 0 }
            let take = min(n, r)
            if remaining.compareExchange(expected: r, desired: r - take, ordering: .relaxed).exchanged { return take }
        }
    }

    func record(_ batch: [HTTP2Completion]) {
        var ok = 0, failed = 0
        var statuses: [Int: Int] = [:]
        var firstError: HTTP2TransportError?
        for c in batch {
            switch c.result {
            case .success(let r): ok += 1; statuses[r.status, default: 0] += 1
            case .failure(let e): failed += 1; if firstError == nil { firstError = e }
            }
        }
        tally.withLock { t in
            t.ok += ok
            t.failed += failed
            for (k, v) in statuses { t.statuses[k, default: 0] += v }
            if t.firstError == nil { t.firstError = firstError }
        }
        let now = completed.wrappingAdd(batch.count, ordering: .relaxed).newValue
        if now >= total && now - batch.count < total {
            doneLock.withLock {
                done.value = true
                doneLock.broadcast()
            }
        }
    }

    func waitUntilDone() {
        doneLock.withLock { while !done.value { doneLock.wait() } }
    }

    func noteClose(_ error: HTTP2TransportError) {
        tally.withLock { if $0.firstError == nil { $0.firstError = error } }
    }

    func result(seconds: Double) -> HTTP2LoadGenerator.Result {
        tally.withLock { t in
            HTTP2LoadGenerator.Result(succeeded: t.ok, failed: t.failed, statuses: t.statuses,
                                      seconds: seconds, firstError: t.firstError)
        }
    }
}
