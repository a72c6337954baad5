import Delivery
import Foundation
import Gateways
import MockGateway
import PushEngine
import PushModel
import PushSync
import PushTestSupport
import Testing

/// Sends on the engine's bounded workers, their retirement, progress streams, the engine's lifecycle.
@Suite(.serialized) struct SendLifecycleTests {
    @Test func tenThousandConcurrentTransactionalSendsRunOnBoundedThreads() async throws {
        let workers = SendWorkers(campaignThreads: 1, transactionalThreads: 2)
        let s = try PushEngineTests.Setup(workers: workers)
        defer { s.stop() }
        try await s.app.register(contentsOf: (0..<100).map { TestData.installation($0) })
        var runs: [SendRun] = []
        runs.reserveCapacity(10_000)
        for i in 0..<10_000 {
            runs.append(try s.app.sendTransactional(groupID: GroupID("g"), recipients: Recipients(installationIDs: [TestData.installationID(i % 100)]),
                                                    notification: PushNotification(message: PushMessage(body: "n\(i)"))))
        }
        var sent = 0
        for run in runs { sent += await run.finished(within: .seconds(60)).sent }
        #expect(sent == 10_000)
        // Every send's targeting ran as a work item of the shared workers, on at most two threads
        // (a thread per send, each blocked while the window is full, reached thousands).
        #expect(workers.completed == 10_000)
        #expect(workers.peakThreads <= 2)
    }

    @Test func finishedSendsRetireOverTheCountAndStayQueryableUntilThen() async throws {
        let s = try PushEngineTests.Setup(retention: SendRetention(maxFinished: 2))
        defer { s.stop() }
        try await s.app.register(TestData.installation(1))
        var tokens: [SendToken] = []
        for i in 0..<5 {
            let token = try SendToken("TX\(i)")
            tokens.append(token)
            let run = try s.app.sendTransactional(token: token, groupID: GroupID("g"), recipients: Recipients(installationIDs: [TestData.installationID(1)]),
                                                  notification: PushNotification(message: PushMessage(body: "hi")))
            #expect(await run.finished(within: .seconds(30)).sent == 1)
            #expect(s.app.statistics(of: token)?.progress.sent == 1)
        }
        #expect(s.app.trackedSendCount == 2)
        #expect(tokens.map { s.app.send($0) != nil } == [false, false, false, true, true])
    }

    @Test func finishedSendsRetireAfterTheirAge() async throws {
        let s = try PushEngineTests.Setup(retention: SendRetention(maxFinished: 100, maxAge: .zero))
        defer { s.stop() }
        try await s.app.register(TestData.installation(1))
        let token = try SendToken("AGED")
        let run = try s.app.launchCampaign(token: token, notification: PushNotification(message: PushMessage(body: "hi")))
        #expect(s.app.send(token) === run || run.isFinished)  // running sends never retire
        _ = await run.finished(within: .seconds(30))
        #expect(s.app.send(token) == nil)
    }

    @Test func progressUpdatesEndWithTheFinalProgress() async throws {
        let s = try PushEngineTests.Setup()
        defer { s.stop() }
        try await s.app.register(contentsOf: (0..<30).map { TestData.installation($0) })
        let run = try s.app.launchCampaign(notification: PushNotification(message: PushMessage(body: "hi")))
        var last: DeliveryProgress?
        var count = 0
        for await p in run.progressUpdates(every: .milliseconds(10)) {
            if let previous = last { #expect(p.targeted >= previous.targeted) }
            last = p
            count += 1
            if count > 10_000 { break }
        }
        #expect(last?.isFinished == true && last?.sent == 30)
    }

    @Test func waitingForASendHonoursCancellation() async throws {
        let s = try PushEngineTests.Setup(scenario: Scenario(rules: [ScenarioRule(
            match: TokenMatch(tokens: [TestData.tokenHex(1)]), answer: .ok, latency: .fixed(.seconds(3)))]))
        defer { s.stop() }
        try await s.app.register(TestData.installation(1))
        let run = try s.app.launchCampaign(notification: PushNotification(message: PushMessage(body: "slow")))
        let waiter = Task { try await run.finished() }
        waiter.cancel()
        let outcome = await waiter.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(!run.isFinished)  // the send goes on; only the wait ended
    }

    @Test func theEngineRunsAsAServiceAndStopsOnCancellation() async throws {
        let s = try PushEngineTests.Setup()
        defer { s.stop() }
        let engine = s.engine
        let service = Task { try await engine.run() }
        service.cancel()
        try await service.value
        #expect(throws: PushEngineError.self) {
            _ = try s.engine.addApp(s.app.configuration, events: CollectingEventSink())
        }
    }

    @Test func engineErrorsNameNoKey() async throws {
        let s = try PushEngineTests.Setup()
        defer { s.stop() }
        do {
            _ = try s.engine.app(apiKey: "SECRET-API-KEY")
            Issue.record("found an app")
        } catch {
            #expect(!error.description.contains("SECRET-API-KEY"))
        }
        do {
            _ = try s.engine.addApp(s.app.configuration, events: CollectingEventSink())
            Issue.record("added a duplicate")
        } catch {
            #expect(!error.description.contains(s.app.configuration.apiKey) && error.description.contains("DemoApp"))
        }
    }
}
