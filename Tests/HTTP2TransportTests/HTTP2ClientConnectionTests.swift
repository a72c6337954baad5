import Testing
import Synchronization
@testable import HTTP2Transport
import PushTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct HTTP2ClientConnectionTests {
    @Test(arguments: [false, true])
    func roundTripOverLoopback(tls: Bool) throws {
        let server = try HTTP2Server(configuration: .init(tls: tls ? try serverTLS() : nil, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: tls ? try clientTLS() : nil),
            loop: loop, onCompletions: collector.handler)
        conn.submit(HTTP2Request(path: "/3/device/aa", headers: [HTTP2HeaderField("apns-topic", "t")],
                                 body: Array("{\"aps\":{}}".utf8), tag: 9))
        let done = collector.wait(for: 1)
        #expect(done.count == 1)
        let r = try #require(try done.first?.result.get())
        #expect(r.status == 200)
        #expect(r.value(of: "x-path") == "/3/device/aa")
        #expect(r.body == Array("{\"aps\":{}}".utf8.reversed()))
        #expect(conn.state == .ready)
    }

    @Test func tenThousandRequestsOverTwoConnectionsAllMatched() throws {
        let server = try HTTP2Server(configuration: .init(tls: try serverTLS(), threads: 2), handler: EchoHandler())
        defer { server.shutdown() }
        let group = EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let collector = CompletionCollector()
        let conns = try (0..<2).map { _ in
            try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: try clientTLS()),
                                      loop: group.next(), onCompletions: collector.handler)
        }
        let n = 10_000
        for i in 0..<n {
            conns[i % 2].submit(HTTP2Request(path: "/r/\(i)", body: Array("\(i)".utf8), tag: UInt64(i)))
        }
        let done = collector.wait(for: n, limit: .seconds(60))
        #expect(done.count == n)
        var seen = Set<UInt64>()
        for c in done {
            let r = try c.result.get()
            #expect(r.value(of: "x-path") == "/r/\(c.tag)")
            #expect(r.body == Array("\(c.tag)".utf8.reversed()))
            seen.insert(c.tag)
        }
        #expect(seen.count == n)
        #expect(server.statistics.requestsServed == n)
    }

    @Test func serverStreamLimitIsNeverExceeded() throws {
        let probe = ConcurrencyProbe(delay: .milliseconds(2))
        let server = try HTTP2Server(configuration: .init(maxConcurrentStreams: 10, threads: 1), handler: probe)
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: nil),
                                             loop: loop, onCompletions: collector.handler)
        conn.submit((0..<500).map { HTTP2Request(path: "/\($0)", tag: UInt64($0)) })
        let done = collector.wait(for: 500)
        #expect(done.count == 500)
        #expect(done.allSatisfy { (try? $0.result.get().status) == 200 })
        #expect(conn.peakOpenStreams <= 10)
        #expect(conn.peakOpenStreams == 10, "the client should use the whole window")
    }

    @Test func wrongCAIsAClearTLSError() throws {
        let server = try HTTP2Server(configuration: .init(tls: try serverTLS(), threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: try clientTLS(ca: "other-ca.pem")),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit(HTTP2Request(path: "/x", tag: 1))
        let done = collector.wait(for: 1)
        collector.waitForClose()
        #expect(done.count == 1)
        guard case .tlsHandshakeFailed(let reason)? = conn.closeError else {
            Issue.record("expected a TLS handshake failure, got \(String(describing: conn.closeError))")
            return
        }
        #expect(reason.contains("certificate verify failed") || reason.contains("verification failed"))
        if case .success = done.first?.result { Issue.record("request should fail") }
        #expect(conn.state == .closed)

        // A retry that lands on the dead connection still says why it died.
        conn.submit(HTTP2Request(path: "/x", tag: 2))
        let late = collector.wait(for: 2).first { $0.tag == 2 }
        guard case .failure(.notSent(let lateReason))? = late?.result else {
            Issue.record("expected notSent, got \(String(describing: late?.result))")
            return
        }
        #expect(lateReason.hasPrefix("connection closed: TLS handshake failed"), "\(lateReason)")
    }

    @Test func connectionRefusedIsATypedRetryableFailure() throws {
        let port = try freePort()
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: port, tls: nil),
                                             loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit((0..<3).map { HTTP2Request(path: "/x", tag: UInt64($0)) })
        let done = collector.wait(for: 3)
        #expect(done.count == 3)
        collector.waitForClose()
        guard case .connectFailed? = conn.closeError else {
            Issue.record("expected connectFailed, got \(String(describing: conn.closeError))")
            return
        }
        for c in done {
            guard case .failure(let e) = c.result else { Issue.record("unexpected success"); continue }
            #expect(e.isRetryable)
        }
    }

    @Test func goAwayMidFlightGivesEveryRequestExactlyOneCompletion() throws {
        // The 100th request's response carries GOAWAY; the rest must come back (answered or retryable).
        final class GoAwayAt100: HTTP2ServerHandler {
            let count = Atomic<Int>(0)
            func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
                let n = count.wrappingAdd(1, ordering: .relaxed).newValue
                return HTTP2ServerResponse(status: 200, directive: n == 100 ? .goAway : .keepOpen)
            }
        }
        let server = try HTTP2Server(configuration: .init(tls: try serverTLS(), threads: 1), handler: GoAwayAt100())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: try clientTLS()),
                                             loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        let n = 2000
        conn.submit((0..<n).map { HTTP2Request(path: "/\($0)", tag: UInt64($0)) })
        let done = collector.wait(for: n)
        collector.waitForClose()
        #expect(done.count == n)
        #expect(Set(done.map(\.tag)).count == n)
        var ok = 0
        for c in done {
            switch c.result {
            case .success(let r): ok += 1; #expect(r.status == 200)
            case .failure(let e): #expect(e.isRetryable, "\(e)")
            }
        }
        #expect(ok >= 100 && ok < n)
        #expect(conn.state == .closed)
    }

    @Test func abruptCloseGivesEveryRequestExactlyOneCompletion() throws {
        final class DropAt50: HTTP2ServerHandler {
            let count = Atomic<Int>(0)
            func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
                let n = count.wrappingAdd(1, ordering: .relaxed).newValue
                return HTTP2ServerResponse(status: 200, directive: n == 50 ? .drop : .keepOpen)
            }
        }
        // A low stream limit keeps most requests queued or in flight when the socket drops.
        let server = try HTTP2Server(configuration: .init(tls: nil, maxConcurrentStreams: 10, threads: 1), handler: DropAt50())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: nil),
                                             loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        let n = 1000
        conn.submit((0..<n).map { HTTP2Request(path: "/\($0)", tag: UInt64($0)) })
        let done = collector.wait(for: n)
        collector.waitForClose()
        #expect(done.count == n)
        #expect(Set(done.map(\.tag)).count == n)
        let failures = done.compactMap { if case .failure(let e) = $0.result { return e } else { return nil } }
        #expect(!failures.isEmpty, "closeError \(String(describing: conn.closeError)) accepted \(server.statistics)")
        #expect(failures.allSatisfy { $0.isRetryable })
        guard case .connectionLost? = conn.closeError else {
            Issue.record("expected connectionLost, got \(String(describing: conn.closeError))")
            return
        }
    }

    @Test func anUnansweredKeepalivePingClosesTheConnection() throws {
        // The first response tells the server to stop reading: our PING then goes unanswered.
        final class StallAfterFirst: HTTP2ServerHandler {
            func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
                HTTP2ServerResponse(status: 200, directive: .stopReading)
            }
        }
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: StallAfterFirst())
        defer { server.shutdown(gracePeriod: .milliseconds(10)) }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: nil,
                                 pingInterval: .milliseconds(50), pingTimeout: .milliseconds(100)),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit(HTTP2Request(path: "/", tag: 1))
        #expect(collector.wait(for: 1).count == 1)
        collector.waitForClose()
        guard case .connectionLost(let reason)? = conn.closeError else {
            Issue.record("expected connectionLost, got \(String(describing: conn.closeError))")
            return
        }
        #expect(reason.contains("PING"))
    }

    @Test func answeredKeepalivePingsKeepAnIdleConnectionOpen() throws {
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: nil,
                                 pingInterval: .milliseconds(20), pingTimeout: .milliseconds(500)),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit(HTTP2Request(path: "/a", tag: 1))
        #expect(collector.wait(for: 1).count == 1)
        // Idle from here on. The client sends its next PING only once the last one is answered,
        // so a third PING at the server proves the first two were sent and answered.
        for _ in 0..<10_000 where server.statistics.pingsReceived < 3 && conn.state == .ready { usleep(1000) }
        #expect(server.statistics.pingsReceived >= 3, "keepalive PINGs must be sent while idle")
        #expect(conn.state == .ready)
        #expect(collector.closeErrors.isEmpty)
        #expect(server.statistics.connectionsAccepted == 1, "the same connection stays open")
        conn.submit(HTTP2Request(path: "/b", tag: 2))
        let done = collector.wait(for: 2)
        #expect(try done.last?.result.get().status == 200)
    }

    @Test func requestsSubmittedToAClosedConnectionThatIsThenReleasedStillComplete() throws {
        let port = try freePort()
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        var conn: HTTP2ClientConnection? = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: port, tls: nil),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        collector.waitForClose()
        #expect(conn?.state == .closed)
        // From this (non-loop) thread: submit, then drop the last reference at once.
        conn?.submit((0..<100).map { HTTP2Request(path: "/", tag: UInt64($0)) })
        conn = nil
        let done = collector.wait(for: 100)
        #expect(done.count == 100)
        #expect(done.allSatisfy { if case .failure(let e) = $0.result { return e.isRetryable } else { return false } })
    }

    @Test func requestsPastTheirDeadlineTimeOut() throws {
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: ConcurrencyProbe(delay: .seconds(20)))
        defer { server.shutdown(gracePeriod: .milliseconds(10)) }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: nil),
                                             loop: loop, onCompletions: collector.handler)
        conn.submit(HTTP2Request(path: "/slow", timeout: .milliseconds(100), tag: 1))
        let done = collector.wait(for: 1)
        guard case .failure(.timeout)? = done.first?.result else {
            Issue.record("expected timeout, got \(String(describing: done.first))")
            return
        }
    }
}
