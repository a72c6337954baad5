@testable import Delivery
import Foundation
import Gateways
import HTTP2Transport
import MockGateway
import PushIndex
import PushModel
import PushSync
import PushTestSupport
import Testing

@Suite(.serialized) struct GatewaySenderTests {
    @Test func eachOutcomeClassEndsInItsEvent() async throws {
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(1)]), answer: .unregistered(timestampMilliseconds: TestData.epoch.millisecondsSince1970 + 1000)),
            ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(2)]), answer: .badDeviceToken),
            ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(3)]), answer: .deviceTokenNotForTopic),
            ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(4)]), answer: .transient(status: 503, firstTries: 1000)),
        ])
        let h = try Harness(scenario: scenario, retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5)))
        defer { h.shutdown() }
        let index = TestData.index(5)
        let progress = try await h.campaign(index, template: h.template())

        #expect(progress == DeliveryProgress(targeted: 5, sent: 1, failed: 2, tokensDeleted: 2, skipped: 0, targetingFinished: true, cancelled: false))
        let events = h.eventsByInstallation
        #expect(events.count == 5 && events.values.allSatisfy { $0.count == 1 })
        #expect(events[TestData.installationID(0)]?.first?.kind == .sent)
        #expect(events[TestData.installationID(1)]?.first?.kind == .tokenDeleted(.unregistered))
        #expect(events[TestData.installationID(2)]?.first?.kind == .tokenDeleted(.badDeviceToken))
        #expect(events[TestData.installationID(3)]?.first?.kind == .error("DeviceTokenNotForTopic"))
        guard case .error(let why)? = events[TestData.installationID(4)]?.first?.kind else {
            Issue.record("expected push_error for the 503 token")
            return
        }
        #expect(why.hasPrefix("retries exhausted (3 attempts)"))
        #expect(events[TestData.installationID(4)]?.first?.attempts == 3)
        // Feedback: invalidated tokens left the index, the others stayed.
        #expect(index.installation(TestData.installationID(1))?.token == nil)
        #expect(index.installation(TestData.installationID(2))?.token == nil)
        #expect(index.installation(TestData.installationID(3))?.token == TestData.token(3))
        #expect(index.installationID(forToken: TestData.token(1)) == nil)
        #expect(h.sender.inFlight == 0 && h.sender.strayCompletions == 0)
    }

    @Test func unregisteredBeforeTheLatestRegistrationKeepsTheToken() async throws {
        // The device registered the token again after APNs' invalidation timestamp.
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(0)]),
                                                     answer: .unregistered(timestampMilliseconds: TestData.epoch.millisecondsSince1970 - 1))])
        let h = try Harness(scenario: scenario)
        defer { h.shutdown() }
        let index = TestData.index(1)
        let progress = try await h.campaign(index, template: h.template())
        #expect(progress.failed == 1 && progress.tokensDeleted == 0)
        #expect(h.sink.recorded.map(\.kind) == [.error("Unregistered")])
        #expect(index.installation(TestData.installationID(0))?.token == TestData.token(0))
    }

    @Test func aTokenRemovedBy410IsSkippedByLaterSends() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(7)]), answer: .unregistered(timestampMilliseconds: nil))])
        let h = try Harness(scenario: scenario)
        defer { h.shutdown() }
        let index = TestData.index(10)
        let first = try await h.campaign(index, template: h.template())
        #expect(first.targeted == 10 && first.tokensDeleted == 1 && first.sent == 9)
        let requestsAfterFirst = h.server.gateway.statistics.snapshot().requests

        let second = try await h.campaign(index, template: h.template())
        #expect(second.targeted == 9 && second.sent == 9)

        let transactional = try h.dispatcher(index).sendTransactional(
            .random(), groupID: GroupID("welcome"), recipients: Recipients(tokens: [TestData.token(7)]), templates: [.iOS: h.template()])
        let progress = await transactional.finished(within: .seconds(30))
        #expect(progress.targeted == 0 && progress.skipped == 1 && progress.isFinished)
        #expect(h.server.gateway.statistics.snapshot().requests == requestsAfterFirst + 9)
        #expect(h.eventsByInstallation[TestData.installationID(7)]?.count == 1)
    }

    @Test func tooManyRequestsIsRetriedThenSent() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(0)]), answer: .transient(status: 429, firstTries: 1))])
        let h = try Harness(scenario: scenario)
        defer { h.shutdown() }
        let progress = try await h.campaign(TestData.index(3), template: h.template())
        #expect(progress.sent == 3 && progress.failed == 0)
        #expect(h.eventsByInstallation[TestData.installationID(0)]?.first?.attempts == 2)
        let stats = h.server.gateway.statistics.snapshot()
        #expect(stats.requests == 4)
        #expect(stats.byReason["TooManyRequests"] == 1)
    }

    /// Only final attempts count: a target answered 429 then 200 is one latency, the second
    /// request's, which waited the gateway's delay; the connection faults' retries add none.
    @Test func latencyCountsEachTargetsFinalAttemptOnce() async throws {
        let delay = Duration.milliseconds(120)
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(0)]), answer: .transient(status: 429, firstTries: 1), latency: .fixed(delay)),
            ScenarioRule(match: TokenMatch(), answer: .ok),
        ], connectionFaults: ConnectionFaults(goAwayAfterStreams: 40))
        // Generous attempts: every GOAWAY'd request is retried, also on a slow (sanitized) run.
        let h = try Harness(scenario: scenario, maxStreams: 20,
                            retry: RetryPolicy(maxAttempts: 30, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(20)))
        defer { h.shutdown() }
        let run = try await h.campaignRun(TestData.index(300), template: h.template())
        let progress = run.progress
        #expect(progress.sent == 300 && progress.isFinished,
                "\(h.sink.recorded.filter { $0.kind != .sent }.prefix(3).map(\.kind))")
        let latency = run.latencySummary()
        #expect(latency.count == progress.sent)  // every target was answered 200 in the end
        #expect(latency.max >= delay)
        #expect(latency.min <= latency.p50 && latency.p99 <= latency.max)
        #expect(h.server.gateway.statistics.snapshot().requests > 300)
    }

    @Test(arguments: [ConnectionFaults(goAwayAfterStreams: 150), ConnectionFaults(dropAfterStreams: 230)])
    func connectionFaultsMidCampaignLoseAndDoubleNothing(faults: ConnectionFaults) async throws {
        let h = try Harness(scenario: Scenario(connectionFaults: faults), maxStreams: 50,
                            retry: RetryPolicy(maxAttempts: 20, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(20)))
        defer { h.shutdown() }
        let count = 2000
        let progress = try await h.campaign(TestData.index(count), template: h.template())
        let events = h.eventsByInstallation
        #expect(progress.targeted == count && progress.isFinished)
        #expect(events.count == count)
        #expect(events.values.allSatisfy { $0.count == 1 })
        #expect(progress.sent + progress.failed == count)
        #expect(progress.sent == count, "every failure was retryable; \(progress.failed) ended as push_error")
        #expect(h.sender.pool.replacementCount > 0, "the fault should have closed connections")
        #expect(h.sender.inFlight == 0 && h.sender.strayCompletions == 0)
    }

    @Test func cancelStopsTargetingAndEveryTargetStillGetsOneEvent() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(20)))])
        let h = try Harness(scenario: scenario, window: 20)
        defer { h.shutdown() }
        let count = 3000
        let run = try h.dispatcher(TestData.index(count)).launchCampaign(.random(), segment: .all, templates: [.iOS: h.template()])
        // Wait (bounded) for the first answers, then cancel.
        for _ in 0..<2000 where run.progress.sent == 0 { usleep(1000) }
        run.cancel()
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.cancelled && progress.isFinished)
        #expect(progress.targeted < count)
        #expect(h.sink.recorded.count == progress.targeted)
        #expect(h.eventsByInstallation.values.allSatisfy { $0.count == 1 })
        #expect(h.server.gateway.statistics.snapshot().requests == progress.targeted)
    }

    @Test func shutdownMidCampaignEndsEveryTargetWithOneEvent() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(30)))])
        let h = try Harness(scenario: scenario, window: 40)
        defer { h.shutdown() }
        let run = try h.dispatcher(TestData.index(1000)).launchCampaign(.random(), segment: .all, templates: [.iOS: h.template()])
        for _ in 0..<2000 where run.progress.targeted == 0 { usleep(1000) }
        h.sender.shutdown(timeout: .zero)
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.isFinished)
        #expect(progress.targeted < 1000)
        #expect(h.sink.recorded.count == progress.targeted)
        #expect(h.eventsByInstallation.values.allSatisfy { $0.count == 1 })
        #expect(h.sender.inFlight == 0)
    }

    @Test func aRequestTheTransportNeverCompletesIsRetriedAndItsLateAnswerIgnored() async throws {
        // The gateway holds every answer 2 s, and answers each token's first request 503 (its
        // retry 200). The test, not the wall clock, decides that the first requests are lost:
        // once the gateway has all three, it runs the watchdog's sweep at a time past the limit
        // (request timeout 20 s + margin 10 s; the periodic sweep, judging by real time, finds
        // nothing lost within this test). The three are retried; their late 503s carry a stale
        // serial and must be ignored (honoured, they would end the targets: 2 attempts at most);
        // the retries are accepted.
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .transient(status: 503, firstTries: 1),
                                                     latency: .fixed(.seconds(2)))])
        let h = try Harness(scenario: scenario, retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2)))
        defer { h.shutdown() }
        let run = try h.dispatcher(TestData.index(3)).launchCampaign(.random(), segment: .all, templates: [.iOS: h.template()])
        let gateway = h.server.gateway.statistics
        for _ in 0..<10_000 where gateway.snapshot().requests < 3 { usleep(1000) }
        #expect(gateway.snapshot().requests == 3, "the first attempts reached the gateway")
        #expect(h.sender.sweep(now: monotonicNanoseconds() &+ h.sender.lostAfter &+ 1) == 3,
                "the sweep finds the three unanswered requests lost")
        #expect(h.sender.lostRequestCount == 3)
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.targeted == 3 && progress.isFinished)
        #expect(progress.sent == 3, "the retries are accepted")
        // The first attempts' answers arrive after the sweep and match no in-flight request.
        for _ in 0..<10_000 where h.sender.strayCompletions < 3 { usleep(1000) }
        #expect(h.sender.strayCompletions == 3, "the late answers are ignored")
        #expect(gateway.snapshot().byStatus == [503: 3, 200: 3])
        #expect(h.sink.recorded.count == 3)
        #expect(h.eventsByInstallation.values.allSatisfy { $0.count == 1 && $0[0].attempts == 2 })
        #expect(h.sender.lostRequestCount >= 3)
        #expect(h.sender.inFlight == 0)
    }

    @Test func aCompletionWithAStaleTagIsIgnored() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        h.sender.complete([HTTP2Completion(tag: 7 << 32 | 1, result: .success(HTTP2Response(status: 200)))])
        #expect(h.sender.strayCompletions == 1)
        #expect(h.sink.recorded.isEmpty)
    }
}
