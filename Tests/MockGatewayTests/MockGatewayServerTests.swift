import Foundation
import HTTP2Transport
import PushCrypto
import PushJSON
import PushSync
import PushTestSupport
import Testing
@testable import MockGateway

/// Collects client completions; waits (bounded) for a count.
final class Completions: Sendable {
    private let items = Locked<[HTTP2Completion]>([])  // TSan-visible (a contended Mutex is not)

    var handler: HTTP2CompletionHandler { { batch in self.items.withLock { $0.append(contentsOf: batch) } } }

    /// Waits until `count` completions arrived or `limit` passed (a safety bound only: callers
    /// assert on what arrived), returned in tag order.
    func wait(for count: Int, limit: Duration = .seconds(30)) -> [HTTP2Completion] {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while items.withLock({ $0.count }) < count && clock.now < end { usleep(1000) }
        return items.withLock { $0 }.sorted { $0.tag < $1.tag }
    }
}

/// A gateway over TLS on 127.0.0.1 (port 0) and one real client connection to it.
final class LoopbackGateway {
    let server: MockGatewayServer
    let loop = EventLoop()
    let completions = Completions()
    private(set) var connection: HTTP2ClientConnection!
    private var nextTag: UInt64 = 0
    let certificates: String

    init(_ configuration: MockGatewayConfiguration, tls: Bool = true, offerALPN: Bool = true, requestTimeout: Duration = .seconds(30)) throws {
        certificates = try TestCertificates.directory()
        server = try MockGatewayServer(
            configuration: configuration, port: 0,
            tls: tls ? TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key") : nil,
            threads: 1
        )
        connection = try makeConnection(tls: tls, offerALPN: offerALPN, requestTimeout: requestTimeout)
    }

    func makeConnection(tls: Bool = true, offerALPN: Bool = true, requestTimeout: Duration = .seconds(30)) throws -> HTTP2ClientConnection {
        try HTTP2ClientConnection(
            configuration: HTTP2ClientConfiguration(
                host: "127.0.0.1", port: server.port,
                tls: tls ? TLSClientConfiguration(caFile: certificates + "/ca.pem", offerALPN: offerALPN) : nil,
                requestTimeout: requestTimeout
            ),
            loop: loop, onCompletions: completions.handler
        )
    }

    /// Sends one request and waits for its completion.
    func send(_ request: HTTP2Request, on connection: HTTP2ClientConnection? = nil) -> Result<HTTP2Response, HTTP2TransportError>? {
        var request = request
        nextTag += 1
        request.tag = nextTag
        (connection ?? self.connection).submit(request)
        let done = completions.wait(for: Int(nextTag))
        return done.first { $0.tag == nextTag }?.result
    }

    func response(_ request: HTTP2Request, on connection: HTTP2ClientConnection? = nil) throws -> HTTP2Response {
        try #require(send(request, on: connection)).get()
    }

    deinit {
        connection.close()
        server.shutdown(gracePeriod: .seconds(2))
        loop.shutdown()
    }
}

extension HTTP2Request {
    init(_ request: HTTP2ServerRequest) {
        self.init(method: request.method, path: request.path, headers: request.headers, body: request.body)
    }
}

extension HTTP2Response {
    var json: JSONValue? { try? JSONValue.parse(body) }
    var reason: String? { json?["reason"]?.stringValue }
}

@Suite("MockGatewayServer (over the wire)", .serialized)
struct MockGatewayServerTests {
    @Test("each request-level APNs reason over TLS", arguments: requestReasonCases)
    func reasonOverTLS(_ testCase: ReasonCase) throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false))
        let response = try wire.response(HTTP2Request(testCase.request))
        #expect(response.status == testCase.reason.status)
        #expect(response.reason == testCase.reason.name)
        #expect(response.value(of: "apns-id").map(isUUID) == true)
    }

    @Test("provider-token reasons over TLS on one connection")
    func authOverTLS() throws {
        let clock = ManualClock(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let wire = try LoopbackGateway(MockGatewayConfiguration(verificationKeys: [try Fixtures.verificationKey()], clock: clock.clock))
        func request(_ token: String?) -> HTTP2Request {
            var headers = [HTTP2HeaderField("apns-topic", Fixtures.topic)]
            if let token { headers.append(HTTP2HeaderField("authorization", "bearer \(token)")) }
            return HTTP2Request(path: "/3/device/\(Fixtures.token)", headers: headers, body: Fixtures.payload)
        }
        let now = clock.milliseconds / 1000
        #expect(try wire.response(request(nil)).reason == "MissingProviderToken")
        #expect(try wire.response(request(Fixtures.providerToken(issuedAt: now, key: P256PrivateKey.generate()))).reason == "InvalidProviderToken")
        #expect(try wire.response(request(Fixtures.providerToken(issuedAt: now - 4000))).reason == "ExpiredProviderToken")
        let id = "11111111-2222-4333-8444-555555555555"
        var valid = request(try Fixtures.providerToken(issuedAt: now))
        valid.headers.append(HTTP2HeaderField("apns-id", id))
        let accepted = try wire.response(valid)
        #expect(accepted.status == 200)
        #expect(accepted.value(of: "apns-id") == id)
        clock.advance(seconds: 1)
        let refused = try wire.response(request(Fixtures.providerToken(issuedAt: now + 1)))
        #expect(refused.status == 429)
        #expect(refused.reason == "TooManyProviderTokenUpdates")
    }

    @Test("a TLS client that offers no ALPN is served HTTP/2")
    func noALPN() throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false), offerALPN: false)
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest())).status == 200)
    }

    @Test("scenario answers over the wire: 410 with timestamp, transient then 200, latency")
    func scenarioOverWire() throws {
        let dead = String(repeating: "de", count: 32)
        let flaky = String(repeating: "fa", count: 32)
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: [dead]), answer: .unregistered(timestampMilliseconds: 1_700_000_000_000)),
            ScenarioRule(match: TokenMatch(tokens: [flaky]), answer: .transient(status: 503, firstTries: 1), latency: .fixed(.milliseconds(5))),
        ])
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false, scenario: scenario))
        let gone = try wire.response(HTTP2Request(Fixtures.apnsRequest(path: "/3/device/\(dead)")))
        #expect(gone.status == 410)
        #expect(gone.json?["timestamp"]?.numberValue == 1_700_000_000_000)
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest(path: "/3/device/\(flaky)"))).status == 503)
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest(path: "/3/device/\(flaky)"))).status == 200)
    }

    @Test("GOAWAY after N streams: the client drains and the gateway keeps serving new connections")
    func goAway() throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false, scenario: Scenario(connectionFaults: ConnectionFaults(goAwayAfterStreams: 2))))
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest())).status == 200)
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest())).status == 200)
        let clock = ContinuousClock()
        let end = clock.now + .seconds(10)
        while wire.connection.state == .ready && clock.now < end { usleep(1000) }
        #expect(wire.connection.state != .ready)
        let fresh = try wire.makeConnection()
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest()), on: fresh).status == 200)
        fresh.close()
    }

    @Test("drop after N streams: later requests on that connection fail, others are served")
    func drop() throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false, scenario: Scenario(connectionFaults: ConnectionFaults(dropAfterStreams: 1))))
        _ = wire.send(HTTP2Request(Fixtures.apnsRequest()))
        let second = try #require(wire.send(HTTP2Request(Fixtures.apnsRequest())))
        #expect(throws: HTTP2TransportError.self) { try second.get() }
        let fresh = try wire.makeConnection()
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest()), on: fresh).status == 200)
        fresh.close()
    }

    @Test("stall after N streams: the stalled connection's next request times out, others are served")
    func stall() throws {
        let wire = try LoopbackGateway(
            MockGatewayConfiguration(requiresAuthentication: false, scenario: Scenario(connectionFaults: ConnectionFaults(stallAfterStreams: 1))),
            requestTimeout: .milliseconds(300)
        )
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest())).status == 200)
        let stalled = try #require(wire.send(HTTP2Request(Fixtures.apnsRequest())))
        #expect(throws: HTTP2TransportError.self) { try stalled.get() }
        let fresh = try wire.makeConnection()
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest()), on: fresh).status == 200)
        fresh.close()
    }

    @Test("max concurrent streams from the scenario is what the client is allowed")
    func maxStreams() throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(2)))], maxConcurrentStreams: 4)
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false, scenario: scenario))
        wire.connection.submit((1...40).map { var r = HTTP2Request(Fixtures.apnsRequest()); r.tag = UInt64($0); return r })
        let done = wire.completions.wait(for: 40)
        #expect(done.count == 40)
        #expect(done.allSatisfy { (try? $0.result.get().status) == 200 })
        #expect(wire.connection.peakOpenStreams <= 4)
    }

    @Test("with token auth a new connection gets one stream until a valid provider token is answered")
    func oneStreamUntilAuthenticated() throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(verificationKeys: [try Fixtures.verificationKey()]))
        let now = Int64(Date().timeIntervalSince1970)
        func requests(_ tags: ClosedRange<Int>, token: String) -> [HTTP2Request] {
            tags.map { tag in
                var r = HTTP2Request(Fixtures.apnsRequest(extraHeaders: [HTTP2HeaderField("authorization", "bearer \(token)")]))
                r.tag = UInt64(tag)
                return r
            }
        }
        // Twenty requests with a token signed by an unknown key: refused one at a time.
        let forged = try Fixtures.providerToken(issuedAt: now, key: P256PrivateKey.generate())
        wire.connection.submit(requests(1...20, token: forged))
        let refused = wire.completions.wait(for: 20)
        #expect(refused.count == 20)
        #expect(refused.allSatisfy { (try? $0.result.get().status) == 403 })
        #expect(wire.connection.peakOpenStreams == 1)

        // A second connection whose first request carries a valid token is opened (raised to the
        // transport's 1000) and then runs requests side by side.
        let second = try wire.makeConnection()
        defer { second.close() }
        let valid = try Fixtures.providerToken(issuedAt: now)
        second.submit(requests(21...21, token: valid))
        let opened = wire.completions.wait(for: 21).first { $0.tag == 21 }
        #expect((try? opened?.result.get().status) == 200)
        second.submit(requests(22...101, token: valid))
        let all = wire.completions.wait(for: 101)
        #expect(all.count == 101)
        #expect(all.filter { $0.tag > 21 }.allSatisfy { (try? $0.result.get().status) == 200 })
        #expect(second.peakOpenStreams > 1)
    }

    @Test("the one-stream rule is off without authentication, in accept-all mode, or when disabled")
    func oneStreamRuleScope() throws {
        #expect(MockGateway(configuration: MockGatewayConfiguration(verificationKeys: [])).initialMaxConcurrentStreams == 1)
        #expect(MockGateway(configuration: MockGatewayConfiguration(requiresAuthentication: false)).initialMaxConcurrentStreams == nil)
        #expect(MockGateway(configuration: MockGatewayConfiguration(mode: .acceptAll)).initialMaxConcurrentStreams == nil)
        #expect(MockGateway(configuration: MockGatewayConfiguration(maxConcurrentStreams: 8, holdsNewConnectionsToOneStream: false))
            .initialMaxConcurrentStreams == 8)
    }

    @Test("the first valid token raises the limit once per connection; FCM requests open at once")
    func raiseOncePerConnection() throws {
        let gateway = MockGateway(configuration: MockGatewayConfiguration(
            verificationKeys: [try Fixtures.verificationKey()], maxConcurrentStreams: 300))
        let now = Int64(Date().timeIntervalSince1970)
        let auth = HTTP2HeaderField("authorization", "bearer \(try Fixtures.providerToken(issuedAt: now))")
        let forged = HTTP2HeaderField("authorization", "bearer \(try Fixtures.providerToken(issuedAt: now, key: P256PrivateKey.generate()))")
        #expect(gateway.handle(Fixtures.apnsRequest(extraHeaders: [forged], connectionID: 7)).newMaxConcurrentStreams == nil)
        let first = gateway.handle(Fixtures.apnsRequest(extraHeaders: [auth], connectionID: 7))
        #expect(first.status == 200)
        #expect(first.newMaxConcurrentStreams == 300)
        #expect(gateway.handle(Fixtures.apnsRequest(extraHeaders: [auth], connectionID: 7)).newMaxConcurrentStreams == nil)
        // A closed and reused connection ID starts held again.
        gateway.connectionClosed(7)
        #expect(gateway.handle(Fixtures.apnsRequest(extraHeaders: [auth], connectionID: 7)).newMaxConcurrentStreams == 300)
        // FCM has no such rule: its first request opens the connection, even unauthenticated (401).
        let fcm = HTTP2ServerRequest(method: "POST", path: "/v1/projects/demo/messages:send", authority: "127.0.0.1", scheme: "https",
                                     headers: [], body: Array(#"{"message":{"token":"abc:def"}}"#.utf8), connectionID: 9)
        let fcmAnswer = gateway.handle(fcm)
        #expect(fcmAnswer.status == 401)
        #expect(fcmAnswer.newMaxConcurrentStreams == 300)
        #expect(gateway.handle(fcm).newMaxConcurrentStreams == nil)
    }

    @Test("FCM end to end over TLS: token grant, then send")
    func fcmOverWire() throws {
        let key = try RSAPrivateKey.generate(bits: 2048)
        let email = "svc@demo.iam.gserviceaccount.com"
        let wire = try LoopbackGateway(MockGatewayConfiguration(serviceAccounts: [email: try key.publicKey()]))
        let now = Int64(Date().timeIntervalSince1970)
        let claims = #"{"iss":"\#(email)","scope":"https://www.googleapis.com/auth/firebase.messaging","aud":"https://oauth2.googleapis.com/token","iat":\#(now),"exp":\#(now + 3600)}"#
        let assertion = try JWSCompact.sign(header: Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8), claims: Array(claims.utf8), signer: RS256Signer(key: key)).compact
        let grant = try wire.response(HTTP2Request(
            path: "/token", headers: [HTTP2HeaderField("content-type", "application/x-www-form-urlencoded")],
            body: Array("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)".utf8)
        ))
        #expect(grant.status == 200)
        let bearer = try #require(grant.json?["access_token"]?.stringValue)
        let body = Array(#"{"message":{"token":"abc:def","notification":{"title":"t"}}}"#.utf8)
        let path = "/v1/projects/demo/messages:send"
        #expect(try wire.response(HTTP2Request(path: path, body: body)).status == 401)
        let sent = try wire.response(HTTP2Request(path: path, headers: [HTTP2HeaderField("authorization", "Bearer \(bearer)")], body: body))
        #expect(sent.status == 200)
        #expect(sent.json?["name"]?.stringValue?.hasPrefix("projects/demo/messages/") == true)
    }

    @Test("the recorder sees requests answered over the wire")
    func recordingOverWire() throws {
        let recorder = GatewayRecorder()
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false, recorder: recorder))
        _ = try wire.response(HTTP2Request(Fixtures.apnsRequest()))
        _ = try wire.response(HTTP2Request(Fixtures.apnsRequest(body: [])))
        let lines = recorder.lines().map { try? JSONValue.parse(Array($0.utf8)) }
        #expect(lines.count == 2)
        #expect(lines.map { $0?["status"]?.numberValue } == [200, 400])
        #expect(lines.first??["topic"]?.stringValue == Fixtures.topic)
    }

    @Test("garbage bytes close that connection only; the gateway keeps serving")
    func garbage() throws {
        let wire = try LoopbackGateway(MockGatewayConfiguration(requiresAuthentication: false), tls: false)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(wire.server.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let junk = [UInt8](repeating: 0x5A, count: 4096)
        _ = junk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var total = 0
        for _ in 0..<100 {   // read until the gateway closes (bounded)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            total += count
        }
        close(fd)
        #expect(try wire.response(HTTP2Request(Fixtures.apnsRequest())).status == 200)
    }
}
