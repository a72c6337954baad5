import Delivery
import Foundation
import Gateways
import HTTP2Transport
import PushCrypto
import Logging
import MockGateway
@testable import PushEngine
import PushIndex
import PushJSON
import PushModel
import PushTestSupport
import Testing

/// FCM through the facade: the JWT-bearer grant at the mock's /token, sends, errors, refresh.
@Suite(.serialized) struct FCMDeliveryTests {
    static let key: RSAPrivateKey = { try! RSAPrivateKey.generate() }()
    static let email = "sender@demo.iam.gserviceaccount.com"

    @Test func campaignGetsAnAccessTokenOnceSendsAndRefreshesBeforeExpiry() async throws {
        let clock = SharedTestClock()
        let certificates = try TestCertificates.directory()
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: ["fcm-3"]), answer: .unregistered(timestampMilliseconds: nil)),
            ScenarioRule(match: TokenMatch(tokens: ["fcm-4"]), answer: .deviceTokenNotForTopic),
            ScenarioRule(match: TokenMatch(tokens: ["fcm-5"]), answer: .transient(status: 503, firstTries: 1)),
        ])
        let server = try MockGatewayServer(
            configuration: MockGatewayConfiguration(scenario: scenario, clock: clock.clock,
                                                    serviceAccounts: [Self.email: try Self.key.publicKey()],
                                                    accessTokenLifetimeSeconds: 600),
            tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
            threads: 1)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let account = FCMServiceAccount(projectID: "demo-project", clientEmail: Self.email, privateKey: Self.key,
                                        tokenURI: "https://127.0.0.1:\(server.port)/token")
        let engine = PushEngine(threads: 1, clock: clock.clock, logger: Logger(label: "test"))
        let stop = EngineStopper(engine)
        defer { stop.later() }
        let sink = CollectingEventSink()
        let app = try engine.addApp(AppConfiguration(
            name: "Droid", apiKey: "K", apns: nil,
            fcm: FCMConfiguration(origin: .custom(host: "127.0.0.1", port: server.port, caFile: certificates + "/ca.pem"),
                                  serviceAccount: account, tokenEndpointCAFile: certificates + "/ca.pem",
                                  retry: RetryPolicy(initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5)))),
            events: sink)
        for i in 0..<20 { try await app.register(TestData.installation(i, platform: .android)) }

        let first = try await app.launchCampaign(notification: PushNotification(message: PushMessage(title: "Hi", body: "there"))).finished()
        #expect(first.targeted == 20 && first.sent == 18 && first.tokensDeleted == 1 && first.failed == 1)
        let events = Dictionary(grouping: sink.recorded, by: \.target.installationID)
        #expect(events[TestData.installationID(3)]?.map(\.kind) == [.tokenDeleted(.fcmUnregistered)])
        #expect(events[TestData.installationID(4)]?.map(\.kind) == [.error("SENDER_ID_MISMATCH")])
        #expect(events[TestData.installationID(5)]?.first?.attempts == 2)
        #expect(app.installation(TestData.installationID(3))?.token == nil)
        #expect(app.accessTokens?.fetchCount == 1)

        clock.advance(minutes: 3)  // 7 of 10 minutes left: the cached token is reused
        #expect(try await app.launchCampaign(notification: PushNotification(message: PushMessage(body: "again"))).finished().sent == 18)
        #expect(app.accessTokens?.fetchCount == 1)

        clock.advance(minutes: 3)  // 4 minutes left, inside the 5-minute margin: refreshed
        #expect(try await app.launchCampaign(notification: PushNotification(message: PushMessage(body: "third"))).finished().sent == 18)
        #expect(app.accessTokens?.fetchCount == 2)
        #expect(server.gateway.statistics.snapshot().byReason["UNAUTHENTICATED"] == nil)
    }

    @Test func aRefusedGrantIsANamedErrorBeforeAnythingIsSent() async throws {
        let certificates = try TestCertificates.directory()
        let server = try MockGatewayServer(
            configuration: MockGatewayConfiguration(serviceAccounts: [Self.email: try RSAPrivateKey.generate().publicKey()]),
            tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
            threads: 1)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let engine = PushEngine(threads: 1, logger: Logger(label: "test"))
        let stop = EngineStopper(engine)
        defer { stop.later() }
        let app = try engine.addApp(AppConfiguration(
            name: "Droid", apiKey: "K", apns: nil,
            fcm: FCMConfiguration(origin: .custom(host: "127.0.0.1", port: server.port, caFile: certificates + "/ca.pem"),
                                  serviceAccount: FCMServiceAccount(projectID: "p", clientEmail: Self.email, privateKey: Self.key,
                                                                    tokenURI: "https://127.0.0.1:\(server.port)/token"),
                                  tokenEndpointCAFile: certificates + "/ca.pem")),
            events: CollectingEventSink())
        try await app.register(TestData.installation(1, platform: .android))
        #expect {
            try app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x")))
        } throws: { error in
            guard case PushEngineError.gateway(.tokenEndpoint(let status, _)) = error else { return false }
            return status == 400 || status == 401
        }
        #expect(server.gateway.statistics.snapshot().byReason.keys.allSatisfy { !$0.hasPrefix("UNREG") })
    }

    /// Google answers a bad registration token with INVALID_ARGUMENT plus a `google.rpc.BadRequest`
    /// field violation on `message.token`: the token leaves the index (`token_deleted`). An
    /// INVALID_ARGUMENT about another field is the message's fault: `push_error`, token kept.
    @Test func invalidArgumentAboutTheTokenDeletesItAndAnyOtherIsAnError() async throws {
        let clock = SharedTestClock()
        let certificates = try TestCertificates.directory()
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: ["fcm-1"]), answer: .badDeviceToken),
            ScenarioRule(match: TokenMatch(tokens: ["fcm-2"]), answer: .invalidArgument),
        ])
        let server = try MockGatewayServer(
            configuration: MockGatewayConfiguration(scenario: scenario, clock: clock.clock,
                                                    serviceAccounts: [Self.email: try Self.key.publicKey()]),
            tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
            threads: 1)
        defer { server.shutdown(gracePeriod: .seconds(1)) }
        let engine = PushEngine(threads: 1, clock: clock.clock, logger: Logger(label: "test"))
        let stop = EngineStopper(engine)
        defer { stop.later() }
        let sink = CollectingEventSink()
        let app = try engine.addApp(AppConfiguration(
            name: "Droid", apiKey: "K", apns: nil,
            fcm: FCMConfiguration(origin: .custom(host: "127.0.0.1", port: server.port, caFile: certificates + "/ca.pem"),
                                  serviceAccount: FCMServiceAccount(projectID: "demo-project", clientEmail: Self.email, privateKey: Self.key,
                                                                    tokenURI: "https://127.0.0.1:\(server.port)/token"),
                                  tokenEndpointCAFile: certificates + "/ca.pem")),
            events: sink)
        for i in 0..<4 { try await app.register(TestData.installation(i, platform: .android)) }
        let progress = try await app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x"))).finished()
        #expect(progress.targeted == 4 && progress.sent == 2 && progress.tokensDeleted == 1 && progress.failed == 1)
        let events = Dictionary(grouping: sink.recorded, by: \.target.installationID)
        #expect(events[TestData.installationID(1)]?.map(\.kind) == [.tokenDeleted(.fcmInvalidToken)])
        #expect(events[TestData.installationID(2)]?.map(\.kind) == [.error("INVALID_ARGUMENT")])
        #expect(app.installation(TestData.installationID(1))?.token == nil)
        #expect(app.installation(TestData.installationID(2))?.token != nil)
        #expect(server.gateway.statistics.snapshot().byReason["INVALID_ARGUMENT"] == 2)
    }

    /// The mock answers in Google's shape: both INVALID_ARGUMENT bodies map as the real ones would.
    @Test func theMocksInvalidArgumentBodiesHaveGooglesShape() async throws {
        func outcome(_ error: FCMError) throws -> DeliveryOutcome {
            let body = try JSONValue.parse(error.body)
            let details = body["error"]?["details"]?.arrayValue ?? []
            #expect(details.contains { $0["@type"]?.stringValue == "type.googleapis.com/google.firebase.fcm.v1.FcmError" })
            return FCMCodec.outcome(of: .success(HTTP2Response(status: error.code, headers: [], body: error.body)))
        }
        let token = try JSONValue.parse(FCMError.invalidRegistrationToken.body)
        let violations = token["error"]?["details"]?.arrayValue?.compactMap { $0["fieldViolations"]?.arrayValue }.joined()
        #expect(violations?.contains { $0["field"]?.stringValue == "message.token" } == true)
        #expect(try outcome(.invalidRegistrationToken) == .rejected(.fcmInvalidToken, invalidatedAt: nil))
        #expect(try outcome(.invalidMessageField) == .rejected(.fcmInvalidArgument, invalidatedAt: nil))
        #expect(try outcome(.invalidArgument) == .rejected(.fcmInvalidArgument, invalidatedAt: nil))
    }
}
