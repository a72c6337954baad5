import Delivery
import Foundation
import Gateways
import HTTP2Transport
import MockGateway
import PushIndex
import PushJSON
import PushModel
import Synchronization

/// One clock for the engine (wall clock) and the mock gateway (token ages), moved by hand.
final class SharedTestClock: Sendable {
    private let now = Mutex<Int64>(1_800_000_000_000)
    var milliseconds: Int64 { now.withLock { $0 } }
    func advance(minutes: Int64) { now.withLock { $0 += minutes * 60_000 } }
    var wall: WallClock { WallClock { [self] in milliseconds } }
    var gateway: GatewayClock { GatewayClock { [self] in milliseconds } }
}

enum TestData {
    static let keyID = "KEY1234567"
    static let teamID = "TEAM123456"
    static let signingKey: P256PrivateKey = { try! P256PrivateKey.generate() }()
    static let epoch = Timestamp(millisecondsSince1970: 1_700_000_000_000)

    /// A 32-byte APNs token in lower-case hex, distinct per `i`.
    static func tokenHex(_ i: Int) -> String {
        let h = String(i, radix: 16)
        return "fe" + String(repeating: "0", count: 62 - h.count) + h
    }

    static func token(_ i: Int) -> DeviceToken { try! DeviceToken(apnsHex: tokenHex(i)) }

    static func installationID(_ i: Int) -> InstallationID { try! InstallationID("inst-\(i)") }

    static func installation(_ i: Int, optIn: Bool = true, customID: String? = nil, registeredAt: Timestamp = epoch,
                             platform: Platform = .iOS) -> Installation {
        Installation(id: installationID(i), platform: platform, token: platform == .iOS ? token(i) : try! DeviceToken(fcm: "fcm-\(i)"),
                     customID: customID.map { try! CustomID($0) }, pushOptIn: optIn,
                     createdAt: epoch, lastSeenAt: registeredAt, tokenRegisteredAt: registeredAt)
    }

    static func index(_ count: Int) -> ShardedIndex {
        let index = ShardedIndex(configuration: ShardedIndex.Configuration(rowShards: 8, keyShards: 8, expectedInstallations: count))
        for i in 0..<count { _ = try! index.upsert(installation(i)) }
        return index
    }

    static func certificates() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = ProcessInfo.processInfo.environment["PUSHENGINE_TEST_CERTS"] ?? root.appendingPathComponent(".certs").path
        if !FileManager.default.fileExists(atPath: directory + "/ca.pem") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [root.appendingPathComponent("scripts/gen-test-certs.sh").path, directory]
            try p.run()
            p.waitUntilExit()
        }
        return directory
    }
}

/// The mock gateway over TLS on 127.0.0.1 and a sender connected to it.
final class Harness {
    let server: MockGatewayServer
    let group = EventLoopGroup(threads: 2)
    let sender: GatewaySender
    let sink = CollectingEventSink()
    let clock: SharedTestClock

    init(scenario: Scenario? = nil, authenticate: Bool = false, verificationKey: P256PrivateKey = TestData.signingKey,
         clock: SharedTestClock = SharedTestClock(), connections: Int = 2, maxStreams: Int = 100, window: Int? = nil,
         retry: RetryPolicy = RetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(2), maxBackoff: .milliseconds(20)),
         mode: MockGatewayConfiguration.Mode = .validating, lostRequestMargin: Duration = .seconds(10),
         recorder: GatewayRecorder? = nil) throws {
        self.clock = clock
        let certificates = try TestData.certificates()
        var keys: [ProviderVerificationKey] = []
        if authenticate {
            keys = [ProviderVerificationKey(keyID: TestData.keyID, teamID: TestData.teamID, publicKey: try verificationKey.publicKey())]
        }
        server = try MockGatewayServer(
            configuration: MockGatewayConfiguration(mode: mode, verificationKeys: keys, requiresAuthentication: authenticate,
                                                    scenario: scenario, clock: clock.gateway, recorder: recorder),
            port: 0, tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
            threads: 1)
        let connection = HTTP2ClientConfiguration(
            host: "127.0.0.1", port: server.port, tls: TLSClientConfiguration(caFile: certificates + "/ca.pem"),
            maxConcurrentStreams: maxStreams, requestTimeout: .seconds(20), responseHeaderNames: ["retry-after"])
        var senderConfiguration = GatewaySenderConfiguration(
            pool: HTTP2ConnectionPoolConfiguration(connection: connection, connections: connections),
            retry: retry, window: window, batchSize: 64)
        senderConfiguration.lostRequestMargin = lostRequestMargin
        sender = try GatewaySender(configuration: senderConfiguration, group: group, clock: clock.wall, logger: .init(label: "test"))
    }

    func providerTokens() -> APNsProviderTokenCache {
        APNsProviderTokenCache(credentials: APNsTokenCredentials(key: TestData.signingKey, keyID: TestData.keyID, teamID: TestData.teamID),
                               clock: clock.wall)
    }

    func template(tokens: APNsProviderTokenCache? = nil, body: String = "hello") throws -> APNsSendTemplate {
        try APNsSendTemplate(message: PushMessage(title: "t", body: body), options: APNsOptions(topic: "com.example.app"), tokens: tokens)
    }

    func dispatcher(_ index: ShardedIndex) -> Dispatcher {
        Dispatcher(index: index, senders: [.iOS: sender], sink: sink, scanBatchSize: 50)
    }

    /// Runs a campaign over `index` and waits (bounded) for it.
    func campaign(_ index: ShardedIndex, template: APNsSendTemplate, segment: Segment = .all) throws -> DeliveryProgress {
        try campaignRun(index, template: template, segment: segment).waitUntilFinished(timeout: .seconds(60))
    }

    /// Runs a campaign over `index`, waits (bounded) for it and returns the run.
    func campaignRun(_ index: ShardedIndex, template: APNsSendTemplate, segment: Segment = .all) throws -> SendRun {
        let run = try dispatcher(index).launchCampaign(SendToken.random(), segment: segment, templates: [.iOS: template])
        _ = run.waitUntilFinished(timeout: .seconds(60))
        return run
    }

    /// Final events by installation ID.
    var eventsByInstallation: [InstallationID: [DeliveryEvent]] {
        Dictionary(grouping: sink.recorded, by: \.target.installationID)
    }

    func shutdown() {
        sender.shutdown(timeout: .seconds(5))
        server.shutdown(gracePeriod: .seconds(1))
        group.shutdown()
    }
}

/// The mock's records as (token, apns-id, payload), parsed from its JSON lines.
func recordedRequests(_ recorder: GatewayRecorder) -> [(token: String, messageID: String, payload: String)] {
    recorder.lines().compactMap { line in
        guard let json = try? JSONValue.parse(Array(line.utf8)), let token = json["token"]?.stringValue else { return nil }
        return (token, json["apns_id"]?.stringValue ?? "", json["payload"]?.stringValue ?? "")
    }
}
