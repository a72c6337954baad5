import Delivery
import Gateways
import HTTP2Transport
import Logging
import MockGateway
@testable import PushEngine
import PushModel
import PushTestSupport
import Testing

/// APNs certificate authentication against a mock gateway that requires a client certificate
/// signed by the test CA (as APNs does for certificate-based providers).
@Suite(.serialized) struct CertificateAuthTests {
    final class Setup {
        let server: MockGatewayServer
        let engine = PushEngine(threads: 1, logger: Logger(label: "test"))
        let sink = CollectingEventSink()
        let certificates: String

        init() throws {
            certificates = try TestCertificates.directory()
            // No JWT: the TLS layer authenticates the provider.
            server = try MockGatewayServer(
                configuration: MockGatewayConfiguration(requiresAuthentication: false),
                tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key",
                                            clientCAFile: certificates + "/ca.pem"),
                threads: 1)
        }

        func app(_ authentication: APNsAuthentication, retry: RetryPolicy = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1),
                                                                                         maxBackoff: .milliseconds(5))) throws -> PushApp {
            try engine.addApp(AppConfiguration(
                name: "Cert", apiKey: "K\(authentication)".filter(\.isLetter).prefix(12).description, apns: APNsConfiguration(
                    origin: .custom(host: "127.0.0.1", port: server.port, caFile: certificates + "/ca.pem"),
                    authentication: authentication, topic: "com.example.app", connections: 1, maxConcurrentStreams: 10,
                    retry: retry)),
                events: sink)
        }

        /// Tears down in a task of its own (`defer` cannot await).
        func stop() {
            let (engine, server) = (self.engine, self.server)
            Task {
                await engine.shutdown(timeout: .seconds(5))
                server.shutdown(gracePeriod: .seconds(1))
            }
        }
    }

    @Test func aClientCertificateSignedByTheCAIsAccepted() async throws {
        let s = try Setup()
        defer { s.stop() }
        let app = try s.app(.certificate(certificateFile: s.certificates + "/client.pem", privateKeyFile: s.certificates + "/client.key"))
        for i in 0..<5 { try await app.register(TestData.installation(i)) }
        let progress = try await app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x"))).finished()
        #expect(progress.sent == 5)
        #expect(s.server.gateway.statistics.snapshot().requests == 5)
    }

    @Test func withoutAClientCertificateEveryTargetFailsWithAClearError() async throws {
        let s = try Setup()
        defer { s.stop() }
        let token = APNsAuthentication.token(APNsTokenCredentials(key: TestData.signingKey, keyID: TestData.keyID, teamID: TestData.teamID))
        let app = try s.app(token)
        for i in 0..<3 { try await app.register(TestData.installation(i)) }
        let progress = try await app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x"))).finished()
        #expect(progress.targeted == 3 && progress.sent == 0 && progress.failed == 3)
        #expect(s.server.gateway.statistics.snapshot().requests == 0)
        let reasons = s.sink.recorded.map { event -> String in
            if case .error(let reason) = event.kind { return reason }
            return "not an error"
        }
        // The gateway's TLS alert reaches the events and the pool: the reason is plain.
        #expect(reasons.count == 3)
        #expect(reasons.allSatisfy { $0.contains("certificate required") }, "\(reasons)")
        #expect(app.dispatcher.senders[.iOS]?.pool.lastConnectionError.map { "\($0)".contains("certificate required") } == true)
    }
}
