import Testing
import Foundation
@testable import HTTP2Transport
import PushSync
import PushTestSupport

let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
let emptySettings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]

/// One h2c request round trip through a fresh client connection; returns the status.
func oneRequest(port: Int, tls: TLSClientConfiguration? = nil) throws -> Int? {
    let loop = EventLoop()
    defer { loop.shutdown() }
    let collector = CompletionCollector()
    let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: port, tls: tls),
                                         loop: loop, onCompletions: collector.handler)
    conn.submit(HTTP2Request(path: "/ok", tag: 1))
    let done = collector.wait(for: 1)
    conn.close()
    return try? done.first?.result.get().status
}

@Suite(.serialized) struct HTTP2ServerTests {
    @Test func garbageBytesCloseThatConnectionOnly() throws {
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let raw = try RawClient(port: server.port)
        raw.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0xFF, count: 4096))
        let (closed, _) = raw.readUntilClosed()
        #expect(closed)
        #expect(try oneRequest(port: server.port) == 200)
        #expect(server.statistics.protocolErrors >= 1)
    }

    @Test func garbageInsideTLSClosesThatConnectionOnly() throws {
        let server = try HTTP2Server(configuration: .init(tls: try serverTLS(), threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let raw = try RawClient(port: server.port)
        raw.send([UInt8](repeating: 0x16, count: 5) + [UInt8](repeating: 0xAB, count: 2000))
        #expect(raw.readUntilClosed().closed)
        #expect(try oneRequest(port: server.port, tls: try clientTLS()) == 200)
    }

    @Test func invalidHPACKIsAConnectionErrorNotACrash() throws {
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let raw = try RawClient(port: server.port)
        // HEADERS on stream 1, END_HEADERS|END_STREAM, block = 0x80 (indexed field 0: invalid).
        let headers: [UInt8] = [0, 0, 1, 1, 0x05, 0, 0, 0, 1, 0x80]
        raw.send(clientPreface + emptySettings + headers)
        let (closed, bytes) = raw.readUntilClosed()
        #expect(closed)
        // The server said why: a GOAWAY frame (type 7) with COMPRESSION_ERROR (9).
        #expect(containsGoAway(bytes, errorCode: 9))
        #expect(try oneRequest(port: server.port) == 200)
    }

    @Test func aClientThatNeverReadsStallsOnlyItself() throws {
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: BigResponder())
        defer { server.shutdown(gracePeriod: .milliseconds(50)) }
        // Build valid requests with the sans-IO client, then never read the answers.
        let core = HTTP2ClientCore(tls: nil, authority: "x", maxConcurrentStreams: 100,
                                   defaultTimeout: .seconds(60), responseHeaderNames: nil, now: monotonicNanoseconds())
        let raw = try RawClient(port: server.port)
        let out = ByteQueue()
        try core.produce(into: out)            // preface + SETTINGS
        raw.send(Array(out.readable)); out.clear()
        // Let the server's SETTINGS arrive so the core opens many streams: feed them to it.
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(raw.fd, &buf, buf.count, 0)
        if n > 0 { try buf[0..<n].withUnsafeBytes { try core.ingest($0) } }
        core.enqueue((0..<100).map { HTTP2Request(method: "GET", path: "/big", tag: UInt64($0)) }, now: 0)
        try core.produce(into: out)
        raw.send(Array(out.readable))
        // The server now has megabytes to write to a socket nobody reads; others are unaffected.
        for _ in 0..<5 { #expect(try oneRequest(port: server.port) == 200) }
    }

    @Test func gracefulShutdownLetsInFlightRequestsFinish() throws {
        // Every answer is held 1 s after the handler has seen its request: long enough that the
        // shutdown below begins while all of them are still to be sent.
        let probe = ConcurrencyProbe(delay: .seconds(1))
        let server = try HTTP2Server(configuration: .init(threads: 1), handler: probe)
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: server.port, tls: nil),
                                             loop: loop, onCompletions: collector.handler)
        conn.submit((0..<20).map { HTTP2Request(path: "/", tag: UInt64($0)) })
        // Wait (bounded) until the handler has seen all 20, then shut the server down mid-flight.
        for _ in 0..<10_000 where probe.received < 20 { usleep(1000) }
        #expect(probe.received == 20)
        let servedBeforeShutdown = server.statistics.requestsServed
        #expect(servedBeforeShutdown < 20, "the shutdown must begin with requests in flight")
        server.shutdown(gracePeriod: .seconds(10))
        #expect(server.statistics.requestsServed == 20, "shutdown returns once every in-flight stream is answered")
        let done = collector.wait(for: 20)
        #expect(done.count == 20)
        let ok = done.filter { (try? $0.result.get().status) == 200 }.count
        #expect(ok == 20, "in-flight requests must finish during a graceful shutdown")
    }
}

/// Answers every request with 256 KiB.
struct BigResponder: HTTP2ServerHandler {
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
        HTTP2ServerResponse(status: 200, body: request.path == "/big" ? [UInt8](repeating: 7, count: 256 * 1024) : [])
    }
}

/// Finds a GOAWAY frame with the given error code in raw server output.
func containsGoAway(_ bytes: [UInt8], errorCode: UInt32) -> Bool {
    var i = 0
    while i + 9 <= bytes.count {
        let len = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
        let type = bytes[i + 3]
        if type == 7 && i + 9 + 8 <= bytes.count {
            let p = i + 9 + 4
            let code = UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
            if code == errorCode { return true }
        }
        i += 9 + len
    }
    return false
}
