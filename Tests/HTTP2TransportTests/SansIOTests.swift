import Testing
import Synchronization
@testable import HTTP2Transport
import PushTestSupport
import PushSync

/// Moves bytes between a client core and a server core until both are quiet.
func pump(_ client: HTTP2ClientCore, _ server: HTTP2ServerCore, maxRounds: Int = 1000) throws {
    let c2s = ByteQueue()
    let s2c = ByteQueue()
    for _ in 0..<maxRounds {
        try client.produce(into: c2s)
        try server.produce(into: s2c)
        if c2s.isEmpty && s2c.isEmpty { return }
        if !c2s.isEmpty { try server.ingest(c2s.readable); c2s.clear() }
        if !s2c.isEmpty { try client.ingest(s2c.readable); s2c.clear() }
    }
    Issue.record("pump did not settle")
}

func makePair(tls: Bool = false, maxStreams: UInt32 = 100, handler: any HTTP2ServerHandler = EchoHandler()) throws -> (HTTP2ClientCore, HTTP2ServerCore) {
    var clientTLS: TLSSession?
    var serverTLS: TLSSession?
    if tls {
        let certs = try TestCertificates.directory()
        let cctx = try TLSContext(client: TLSClientConfiguration(caFile: certs + "/ca.pem"))
        let sctx = try TLSContext(server: TLSServerConfiguration(certificateFile: certs + "/server.pem", privateKeyFile: certs + "/server.key"))
        clientTLS = try TLSSession(context: cctx, peerHost: "127.0.0.1")
        serverTLS = try TLSSession(context: sctx, peerHost: nil)
    }
    let client = HTTP2ClientCore(tls: clientTLS, authority: "localhost", maxConcurrentStreams: 1000,
                                 defaultTimeout: .seconds(10), responseHeaderNames: nil, now: monotonicNanoseconds())
    let server = HTTP2ServerCore(connectionID: 1, handler: handler, tls: serverTLS,
                                 maxConcurrentStreams: maxStreams, maxRequestBody: 1 << 16)
    return (client, server)
}

@Suite struct SansIOTests {
    @Test(arguments: [false, true])
    func roundTripWithoutSockets(tls: Bool) throws {
        let (client, server) = try makePair(tls: tls)
        client.enqueue(HTTP2Request(path: "/3/device/abc", headers: [HTTP2HeaderField("apns-topic", "com.example")],
                                    body: Array("hello".utf8), tag: 42))
        try pump(client, server)
        let done = client.takeCompletions()
        #expect(done.count == 1)
        let response = try #require(try done.first?.result.get())
        #expect(done.first?.tag == 42)
        #expect(response.status == 200)
        #expect(response.value(of: "x-path") == "/3/device/abc")
        #expect(response.value(of: "x-header-count") == "1")
        #expect(response.body == Array("olleh".utf8))
    }

    @Test func manyRequestsEachMatchedToItsResponse() throws {
        let (client, server) = try makePair(maxStreams: 10)
        let n = 500
        for i in 0..<n {
            client.enqueue(HTTP2Request(path: "/r/\(i)", body: Array("\(i)".utf8), tag: UInt64(i)))
        }
        var seen = Set<UInt64>()
        for _ in 0..<200 where seen.count < n {
            try pump(client, server)
            for c in client.takeCompletions() {
                let r = try c.result.get()
                #expect(r.value(of: "x-path") == "/r/\(c.tag)")
                #expect(seen.insert(c.tag).inserted, "tag \(c.tag) completed twice")
            }
        }
        #expect(seen.count == n)
        #expect(client.peakOpenStreams <= 10)
        #expect(client.peakOpenStreams >= 2)
    }

    @Test func headerBlockFieldsArriveAfterPseudoHeadersAndBeforeRequestHeaders() throws {
        final class Capture: HTTP2ServerHandler {
            let seen = Locked<[HTTP2ServerRequest]>([])
            func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
                seen.withLock { $0.append(request) }
                return HTTP2ServerResponse(status: 200)
            }
        }
        let capture = Capture()
        let (client, server) = try makePair(handler: capture)
        let block = HTTP2HeaderBlock([HTTP2HeaderField("apns-topic", "com.example"),
                                      HTTP2HeaderField("authorization", "bearer x.y.z")], sensitive: ["authorization"])
        for i in 0..<3 {
            client.enqueue(HTTP2Request(path: "/3/device/\(i)", headerBlock: block,
                                        headers: [HTTP2HeaderField("apns-id", "id-\(i)")], tag: UInt64(i)))
        }
        try pump(client, server)
        #expect(client.takeCompletions().count == 3)
        let requests = capture.seen.withLock { $0 }.sorted { $0.path < $1.path }
        #expect(requests.count == 3)
        for (i, r) in requests.enumerated() {
            #expect(r.path == "/3/device/\(i)")
            #expect(r.headers == [HTTP2HeaderField("apns-topic", "com.example"),
                                  HTTP2HeaderField("authorization", "bearer x.y.z"),
                                  HTTP2HeaderField("apns-id", "id-\(i)")])
        }
    }

    @Test func handlerThatThrowsAnswers500OnThatStreamOnly() throws {
        let (client, server) = try makePair()
        client.enqueue([HTTP2Request(path: "/throw", tag: 1), HTTP2Request(path: "/ok", tag: 2)], now: 0)
        try pump(client, server)
        let byTag = Dictionary(uniqueKeysWithValues: client.takeCompletions().map { ($0.tag, $0) })
        #expect(try byTag[1]?.result.get().status == 500)
        #expect(try byTag[2]?.result.get().status == 200)
    }

    @Test func goAwayRefusesLaterStreamsAsRetryable() throws {
        let (client, server) = try makePair()
        client.enqueue([HTTP2Request(path: "/goaway", tag: 1)] + (2...20).map { HTTP2Request(path: "/x", tag: UInt64($0)) }, now: 0)
        try pump(client, server)
        let done = client.takeCompletions()
        #expect(done.count == 20)
        #expect(Set(done.map(\.tag)).count == 20)
        var ok = 0
        for c in done {
            switch c.result {
            case .success: ok += 1
            case .failure(let e): #expect(e.isRetryable, "\(e)")
            }
        }
        #expect(ok >= 1)
        #expect(client.isDraining)
        // A request after GOAWAY is not sent, and says so.
        client.enqueue(HTTP2Request(path: "/late", tag: 99))
        let late = client.takeCompletions()
        #expect(late.count == 1)
        if case .failure(.notSent) = late.first?.result {} else { Issue.record("expected notSent, got \(String(describing: late.first))") }
    }

    @Test func serverCanLowerItsStreamLimitAndExplainAGoAway() throws {
        final class Limiter: HTTP2ServerHandler {
            func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
                switch request.path {
                case "/limit": return HTTP2ServerResponse(status: 200, newMaxConcurrentStreams: 3)
                case "/bye": return HTTP2ServerResponse(status: 200, directive: .goAway, goAwayErrorCode: 0,
                                                        goAwayDebugData: Array(#"{"reason":"Shutdown"}"#.utf8))
                default: return HTTP2ServerResponse(status: 200)
                }
            }
        }
        let (client, server) = try makePair(handler: Limiter())
        client.enqueue(HTTP2Request(path: "/limit", tag: 0))
        try pump(client, server)
        #expect(client.streamLimit == 3)
        client.enqueue((1...30).map { HTTP2Request(path: "/x", tag: UInt64($0)) }, now: 0)
        try pump(client, server)
        #expect(client.peakOpenStreams <= 3)
        #expect(client.takeCompletions().count == 31)
        client.enqueue(HTTP2Request(path: "/bye", tag: 99))
        try pump(client, server)
        #expect(String(decoding: client.goAwayDebugData, as: UTF8.self) == #"{"reason":"Shutdown"}"#)
        #expect(client.isDraining)
    }

    @Test func garbageBytesAreAProtocolError() throws {
        let server = HTTP2ServerCore(connectionID: 7, handler: EchoHandler(), tls: nil, maxConcurrentStreams: 10, maxRequestBody: 1024)
        let garbage: [UInt8] = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(throws: HTTP2TransportError.self) {
            try garbage.withUnsafeBytes { try server.ingest($0) }
        }
    }

    @Test func connectionLossFailsEveryRequestExactlyOnce() throws {
        let (client, server) = try makePair()
        client.enqueue((0..<50).map { HTTP2Request(path: "/x", tag: UInt64($0)) }, now: 0)
        // Send the requests but never deliver the responses.
        let c2s = ByteQueue()
        try client.produce(into: c2s)
        try server.ingest(c2s.readable)
        client.fail(.connectionLost(reason: "test"))
        let done = client.takeCompletions()
        #expect(done.count == 50)
        #expect(Set(done.map(\.tag)).count == 50)
        #expect(done.allSatisfy { if case .failure(let e) = $0.result { return e.isRetryable } else { return false } })
    }

    @Test func streamsPastTheirDeadlineTimeOut() throws {
        let (client, server) = try makePair()
        client.enqueue(HTTP2Request(path: "/x", timeout: .milliseconds(5), tag: 5))
        let c2s = ByteQueue()
        try client.produce(into: c2s)  // sent, never answered
        _ = server
        #expect(client.tick(now: monotonicNanoseconds() + 10_000_000_000, pingInterval: 0, pingTimeout: 0))
        let done = client.takeCompletions()
        #expect(done.count == 1)
        if case .failure(.timeout) = done.first?.result {} else { Issue.record("expected timeout") }
        #expect(client.openStreams == 0)
    }

    @Test func oversizedRequestBodyGets413() throws {
        let (client, server) = try makePair()
        client.enqueue(HTTP2Request(path: "/big", body: [UInt8](repeating: 1, count: 70_000), tag: 3))
        try pump(client, server)
        let done = client.takeCompletions()
        #expect(try done.first?.result.get().status == 413)
    }
}

#if canImport(Glibc)
import Glibc
#endif
