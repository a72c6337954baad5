import Delivery
import Gateways
import HTTP2Transport
import MockGateway
import PushCrypto
import PushIndex
import PushJSON
import PushModel
import PushTestSupport

/// The mock gateway over TLS on 127.0.0.1 and a sender connected to it.
final class Harness {
    let server: MockGatewayServer
    let group = EventLoopGroup(threads: 2)
    let sender: GatewaySender
    let sink = CollectingEventSink()
    let workers = SendWorkers()
    let clock: SharedTestClock

    init(scenario: Scenario? = nil, authenticate: Bool = false, verificationKey: P256PrivateKey = TestData.signingKey,
         clock: SharedTestClock = SharedTestClock(), connections: Int = 2, maxStreams: Int = 100, window: Int? = nil,
         retry: RetryPolicy = RetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(2), maxBackoff: .milliseconds(20)),
         mode: MockGatewayConfiguration.Mode = .validating, lostRequestMargin: Duration = .seconds(10),
         recorder: GatewayRecorder? = nil) throws {
        self.clock = clock
        let certificates = try TestCertificates.directory()
        var keys: [ProviderVerificationKey] = []
        if authenticate {
            keys = [ProviderVerificationKey(keyID: TestData.keyID, teamID: TestData.teamID, publicKey: try verificationKey.publicKey())]
        }
        server = try MockGatewayServer(
            configuration: MockGatewayConfiguration(mode: mode, verificationKeys: keys, requiresAuthentication: authenticate,
                                                    scenario: scenario, clock: clock.clock, recorder: recorder),
            port: 0, tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
            threads: 1)
        let connection = HTTP2ClientConfiguration(
            host: "127.0.0.1", port: server.port, tls: TLSClientConfiguration(caFile: certificates + "/ca.pem"),
            maxConcurrentStreams: maxStreams, requestTimeout: .seconds(20), responseHeaderNames: ["retry-after"])
        var senderConfiguration = GatewaySenderConfiguration(
            pool: HTTP2ConnectionPoolConfiguration(connection: connection, connections: connections),
            retry: retry, window: window, batchSize: 64)
        senderConfiguration.lostRequestMargin = lostRequestMargin
        sender = try GatewaySender(configuration: senderConfiguration, group: group, clock: clock.clock, logger: .init(label: "test"))
    }

    func providerTokens() -> APNsProviderTokenCache {
        APNsProviderTokenCache(credentials: APNsTokenCredentials(key: TestData.signingKey, keyID: TestData.keyID, teamID: TestData.teamID),
                               clock: clock.clock)
    }

    func template(tokens: APNsProviderTokenCache? = nil, body: String = "hello") throws -> APNsSendTemplate {
        try APNsSendTemplate(message: PushMessage(title: "t", body: body), options: APNsOptions(topic: "com.example.app"), tokens: tokens)
    }

    func dispatcher(_ index: ShardedIndex) -> Dispatcher {
        Dispatcher(index: index, senders: [.iOS: sender], sink: sink, workers: workers, scanBatchSize: 50)
    }

    /// Runs a campaign over `index` and waits (bounded) for it.
    func campaign(_ index: ShardedIndex, template: APNsSendTemplate, segment: Segment = .all) async throws -> DeliveryProgress {
        try await campaignRun(index, template: template, segment: segment).progress
    }

    /// Runs a campaign over `index`, waits (bounded) for it and returns the run.
    func campaignRun(_ index: ShardedIndex, template: APNsSendTemplate, segment: Segment = .all) async throws -> SendRun {
        let run = try dispatcher(index).launchCampaign(SendToken.random(), segment: segment, templates: [.iOS: template])
        _ = await run.finished(within: .seconds(60))
        return run
    }

    /// Final events by installation ID.
    var eventsByInstallation: [InstallationID: [DeliveryEvent]] {
        Dictionary(grouping: sink.recorded, by: \.target.installationID)
    }

    func shutdown() {
        sender.shutdown(timeout: .seconds(5))
        workers.shutdown()
        server.shutdown(gracePeriod: .seconds(1))
        group.shutdown()
    }
}
