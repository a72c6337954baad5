import Testing
import Synchronization
@testable import HTTP2Transport
import PushTestSupport
import PushSync
#if canImport(Glibc)
import Glibc
#endif

/// Records which connection served each request.
final class ConnectionRecorder: HTTP2ServerHandler {
    let byConnection = Locked<[UInt64: Int]>([:])
    let dropEvery: Int
    let count = Atomic<Int>(0)
    init(dropEvery: Int = 0) { self.dropEvery = dropEvery }
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
        byConnection.withLock { $0[request.connectionID, default: 0] += 1 }
        let n = count.wrappingAdd(1, ordering: .relaxed).newValue
        let drop = dropEvery > 0 && n % dropEvery == 0
        return HTTP2ServerResponse(status: 200, directive: drop ? .goAway : .keepOpen)
    }
}

@Suite(.serialized) struct HTTP2ConnectionPoolTests {
    @Test func spreadsRequestsOverItsConnections() throws {
        let recorder = ConnectionRecorder()
        let server = try HTTP2Server(configuration: .init(tls: try serverTLS(), threads: 2), handler: recorder)
        defer { server.shutdown() }
        let group = EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let collector = CompletionCollector()
        let pool = try HTTP2ConnectionPool(
            configuration: .init(connection: .init(host: "127.0.0.1", port: server.port, tls: try clientTLS()), connections: 4),
            group: group, onCompletions: collector.handler)
        defer { pool.shutdown() }
        for i in 0..<40 {
            pool.submit((0..<100).map { HTTP2Request(path: "/", tag: UInt64(i * 100 + $0)) })
        }
        let done = collector.wait(for: 4000)
        #expect(done.count == 4000)
        #expect(done.allSatisfy { (try? $0.result.get().status) == 200 })
        let counts = recorder.byConnection.withLock { $0 }
        #expect(counts.count == 4)
        #expect(counts.values.allSatisfy { $0 >= 400 }, "uneven spread: \(counts)")
    }

    @Test func replacesConnectionsThatGoAway() throws {
        // Every 500th request's response carries GOAWAY: the pool must keep going.
        let recorder = ConnectionRecorder(dropEvery: 500)
        let server = try HTTP2Server(configuration: .init(tls: nil, maxConcurrentStreams: 50, threads: 1), handler: recorder)
        defer { server.shutdown() }
        let group = EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let collector = CompletionCollector()
        let pool = try HTTP2ConnectionPool(
            configuration: .init(connection: .init(host: "127.0.0.1", port: server.port, tls: nil), connections: 2),
            group: group, onCompletions: collector.handler)
        defer { pool.shutdown() }
        // Submit in waves and resubmit retryable failures, as the delivery layer does.
        var outstanding = Set((0..<3000).map { UInt64($0) })
        var rounds = 0
        var seen = 0
        while !outstanding.isEmpty && rounds < 50 {
            rounds += 1
            let wave = Array(outstanding)
            let before = collector.completions.count
            pool.submit(wave.map { HTTP2Request(path: "/", tag: $0) })
            let after = collector.wait(for: before + wave.count)
            for c in after[before...] {
                if case .success = c.result { outstanding.remove(c.tag) }
                else if case .failure(let e) = c.result { #expect(e.isRetryable, "\(e)") }
            }
            seen = after.count
            if !outstanding.isEmpty { usleep(20_000) }
        }
        #expect(outstanding.isEmpty, "\(outstanding.count) requests never succeeded after \(rounds) rounds")
        #expect(pool.replacementCount >= 2)
        #expect(seen >= 3000)
    }

    @Test func recoversWhenTheServerComesUpLater() throws {
        let port = try freePort()
        let group = EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let collector = CompletionCollector()
        let pool = try HTTP2ConnectionPool(
            configuration: .init(connection: .init(host: "127.0.0.1", port: port, tls: nil), connections: 1,
                                 initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(100)),
            group: group, onCompletions: collector.handler)
        defer { pool.shutdown() }
        pool.submit(HTTP2Request(path: "/", tag: 1))
        let first = collector.wait(for: 1)
        guard case .failure(let e)? = first.first?.result else {
            Issue.record("nothing listens yet: the request must fail")
            return
        }
        #expect(e.isRetryable)
        let server = try HTTP2Server(configuration: .init(port: port, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        // Resubmit until a replacement connection reaches the server (bounded).
        var succeeded = false
        for attempt in 0..<200 where !succeeded {
            let before = collector.completions.count
            pool.submit(HTTP2Request(path: "/", tag: UInt64(100 + attempt)))
            let all = collector.wait(for: before + 1)
            if case .success? = all.last?.result { succeeded = true } else { usleep(10_000) }
        }
        #expect(succeeded)
        #expect(pool.replacementCount >= 1)
    }
}
