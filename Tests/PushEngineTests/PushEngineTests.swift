import Delivery
import EventLog
import Foundation
import Gateways
import HTTP2Transport
import Logging
import MockGateway
import PushEngine
import PushIndex
import PushModel
import PushTestSupport
import Testing

/// The embeddable facade end to end: mock gateway over TLS, provider tokens, the event log.
@Suite(.serialized) struct PushEngineTests {
    final class Setup {
        let clock = SharedTestClock()
        let server: MockGatewayServer
        let engine: PushEngine
        let app: PushApp
        let writer: EventLogWriter
        let directory: String

        init(scenario: Scenario? = nil, recorder: GatewayRecorder? = nil, hook: (any CommandHook)? = nil,
             workers: SendWorkers = SendWorkers(), retention: SendRetention = SendRetention()) throws {
            let certificates = try TestCertificates.directory()
            server = try MockGatewayServer(
                configuration: MockGatewayConfiguration(
                    verificationKeys: [ProviderVerificationKey(keyID: TestData.keyID, teamID: TestData.teamID,
                                                               publicKey: try TestData.signingKey.publicKey())],
                    scenario: scenario, clock: clock.clock, recorder: recorder),
                tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key"),
                threads: 1)
            directory = NSTemporaryDirectory() + "pushengine-delivery-\(getpid())-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            writer = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: directory + "/spool"),
                                        sink: LocalDirectorySink(directory: directory + "/out"))
            engine = PushEngine(threads: 1, workers: workers, retention: retention, clock: clock.clock, logger: Logger(label: "test"))
            app = try engine.addApp(
                AppConfiguration(name: "DemoApp", apiKey: "KEY1", apns: APNsConfiguration(
                    origin: .custom(host: "127.0.0.1", port: server.port, caFile: certificates + "/ca.pem"),
                    authentication: .token(APNsTokenCredentials(key: TestData.signingKey, keyID: TestData.keyID, teamID: TestData.teamID)),
                    topic: "com.example.app", connections: 2, maxConcurrentStreams: 50,
                    retry: RetryPolicy(initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(10)))),
                events: EventLogDeliverySink(writer: writer, app: try ExportApp(name: "DemoApp", apiKey: "KEY1")), hook: hook)
        }

        /// Every line written so far (spool and published files).
        func lines() throws -> [String] {
            try writer.flush()
            var all: [String] = []
            for sub in ["spool", "out"] {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + sub)) ?? [] {
                    let text = try String(contentsOfFile: directory + "/" + sub + "/" + name, encoding: .utf8)
                    all += text.split(separator: "\n").map(String.init)
                }
            }
            return all
        }

        /// Tears down in a task of its own (`defer` cannot await): engine, then log, then gateway.
        func stop() {
            let (engine, writer, server, directory) = (self.engine, self.writer, self.server, self.directory)
            Task {
                await engine.shutdown(timeout: .seconds(5))
                try? writer.shutdown()
                server.shutdown(gracePeriod: .seconds(1))
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    @Test func campaignThroughTheFacadeWritesTheEventLog() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(3)]), answer: .unregistered(timestampMilliseconds: nil))])
        let s = try Setup(scenario: scenario)
        defer { s.stop() }
        for i in 0..<50 { try await s.app.register(TestData.installation(i, customID: "user-\(i)")) }
        let token = try SendToken("CAMPAIGN1")
        let run = try s.app.launchCampaign(token: token, notification: PushNotification(message: PushMessage(title: "Hi", body: "Hello")))
        #expect(s.app.send(token) === run)
        let progress = try await run.finished()
        #expect(progress.targeted == 50 && progress.sent == 49 && progress.tokensDeleted == 1)
        let lines = try s.lines()
        #expect(lines.filter { $0.hasSuffix(";push_sent;campaign;CAMPAIGN1;") }.count == 49)
        #expect(lines.filter { $0.hasPrefix("user-3;inst-3;") && $0.hasSuffix(";token_deleted;;;") }.count == 1)
        #expect(s.app.installation(TestData.installationID(3))?.token == nil)
    }

    @Test func transactionalThroughTheFacadeCarriesItsGroupID() async throws {
        let s = try Setup()
        defer { s.stop() }
        try await s.app.register(TestData.installation(1, customID: "alice"))
        let run = try s.app.sendTransactional(token: SendToken("TX1"), groupID: GroupID("welcome"),
                                              recipients: Recipients(customIDs: [CustomID("alice")]),
                                              notification: PushNotification(message: PushMessage(body: "Welcome")))
        #expect(s.app.send(try SendToken("TX1")) === run)
        #expect(try await run.finished().sent == 1)
        #expect(try s.lines().contains { $0.hasPrefix("alice;inst-1;") && $0.hasSuffix(";push_sent;transactional;TX1;welcome") })
    }

    @Test func bulkRegistrationIsAllOrNothingAndThenSends() async throws {
        let s = try Setup()
        defer { s.stop() }
        var bad = TestData.installation(3)
        bad.token = try DeviceToken(fcm: "fcm-on-ios")  // an FCM token on an iOS installation
        await #expect {
            try await s.app.register(contentsOf: [TestData.installation(1), TestData.installation(2), bad])
        } throws: { error in
            guard case PushEngineError.validation(let v) = error else { return false }
            return v.field == "[2].token"
        }
        #expect(s.app.installationCount == 0)
        let outcomes = try await s.app.register(contentsOf: (0..<40).map { TestData.installation($0) })
        #expect(outcomes.count == 40)
        #expect(outcomes.filter { $0.created }.count == 40)
        let run = try s.app.launchCampaign(notification: PushNotification(message: PushMessage(body: "hi")))
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.targeted == 40)
        #expect(progress.sent == 40)
    }

    @Test func aPayloadTooLargeIsRefusedBeforeSending() async throws {
        let s = try Setup()
        defer { s.stop() }
        try await s.app.register(TestData.installation(1))
        let big = PushMessage(body: String(repeating: "x", count: 4100))
        #expect {
            try s.app.launchCampaign(notification: PushNotification(message: big))
        } throws: { error in
            guard case PushEngineError.gateway(.payloadTooLarge(let size, 4096, "alert")) = error else { return false }
            return size > 4096
        }
        // The same bytes fit a VoIP push (5120).
        let run = try s.app.launchCampaign(notification: PushNotification(message: big, pushType: .voip))
        #expect(await run.finished(within: .seconds(30)).targeted == 1)
        #expect(s.server.gateway.statistics.snapshot().requests == 1)
    }

    @Test func unknownAndDuplicateAppsAreNamed() async throws {
        let s = try Setup()
        defer { s.stop() }
        #expect(throws: PushEngineError.self) { try s.engine.app(apiKey: "nope") }
        #expect(throws: PushEngineError.self) {
            try s.engine.addApp(AppConfiguration(name: "x", apiKey: "KEY1", apns: nil), events: CollectingEventSink())
        }
        #expect(try s.engine.app(apiKey: "KEY1") === s.app)
    }

    @Test func cancelCampaignByToken() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(20)))])
        let s = try Setup(scenario: scenario)
        defer { s.stop() }
        for i in 0..<2000 { try await s.app.register(TestData.installation(i)) }
        let token = try SendToken("BIG")
        let run = try s.app.launchCampaign(token: token, notification: PushNotification(message: PushMessage(body: "x")))
        #expect(s.app.cancelSend(token))
        #expect(!s.app.cancelSend(try SendToken("unknown")))
        let progress = try await run.finished()
        #expect(progress.cancelled && progress.targeted < 2000)
        #expect(progress.sent + progress.failed == progress.targeted)
    }

    /// Latency percentiles come through the facade: every answered target counted once, the
    /// percentiles ordered, and a gateway delay visible in them (only a lower bound is asserted).
    @Test func campaignStatisticsCarryLatencyPercentiles() async throws {
        let delay = Duration.milliseconds(150)
        let slow = Set((0..<10).map { TestData.tokenHex($0) })
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: slow), answer: .ok, latency: .fixed(delay)),
                                        ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(10)]), answer: .badDeviceToken)])
        let s = try Setup(scenario: scenario)
        defer { s.stop() }
        for i in 0..<200 { try await s.app.register(TestData.installation(i)) }
        let token = try SendToken("LATENCY")
        let run = try s.app.launchCampaign(token: token, notification: PushNotification(message: PushMessage(body: "x")))
        let progress = try await run.finished()
        #expect(progress.targeted == 200 && progress.sent == 199)
        let stats = try #require(s.app.statistics(of: token))
        #expect(stats.progress == progress)
        let l = stats.latency
        #expect(l == run.latencySummary())
        #expect(l.count == 200)  // every target got an answer, the rejected one included
        #expect(l.min > .zero)
        #expect(l.min <= l.p50)
        #expect(l.p50 <= l.p95)
        #expect(l.p95 <= l.p99)
        #expect(l.p99 <= l.max)
        // 10 of 200 answers (5 %) waited `delay`: the slowest 1 % and the maximum did too.
        #expect(l.max >= delay && l.p99 >= delay)
        #expect(s.app.statistics(of: try SendToken("unknown")) == nil)
    }

    @Test func latencyOfAnIdleSendIsEmpty() async throws {
        let s = try Setup()
        defer { s.stop() }
        let run = try s.app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x")))
        #expect(await run.finished(within: .seconds(30)).targeted == 0)
        #expect(run.latencySummary() == .empty)
    }

    /// Variants through the facade: the language registered with the installation picks the
    /// message; the event log still gets one push_sent per installation.
    @Test func campaignVariantsFollowTheRegisteredLanguage() async throws {
        let recorder = GatewayRecorder()
        let s = try Setup(recorder: recorder)
        defer { s.stop() }
        for (i, language) in ["fr", "de", nil, "fr"].enumerated() {
            var installation = TestData.installation(i)
            installation.language = try language.map { try LanguageCode($0) }
            try await s.app.register(installation)
        }
        let notification = PushNotification(message: PushMessage(title: "Hello"),
                                            variants: [try LanguageCode("fr"): PushMessage(title: "Bonjour"),
                                                       try LanguageCode("de"): PushMessage(title: "Hallo")],
                                            sendsAPNsID: true)
        let token = try SendToken("VARIANTS")
        let progress = try await s.app.launchCampaign(token: token, notification: notification).finished()
        #expect(progress.sent == 4)
        let titles = Dictionary(uniqueKeysWithValues: recordedRequests(recorder).map { r in
            (r.token, ["Bonjour", "Hallo", "Hello"].first { r.payload.contains($0) })
        })
        #expect(titles == [TestData.tokenHex(0): "Bonjour", TestData.tokenHex(1): "Hallo", TestData.tokenHex(2): "Hello",
                           TestData.tokenHex(3): "Bonjour"])
        #expect(recordedRequests(recorder).allSatisfy { UUIDBytes.parse($0.messageID) != nil })
        #expect(try s.lines().filter { $0.hasSuffix(";push_sent;campaign;VARIANTS;") }.count == 4)
    }
}
