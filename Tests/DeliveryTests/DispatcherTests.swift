import Foundation
@testable import Delivery
import Gateways
import MockGateway
import PushIndex
import PushModel
import PushTestSupport
import Testing

@Suite(.serialized) struct DispatcherTests {
    @Test func campaignTargetsOptedInInstallationsWithATokenInTheSegment() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        let index = TestData.index(0)
        for i in 0..<10 { _ = try index.upsert(TestData.installation(i, optIn: i % 2 == 0)) }
        _ = try index.upsert(Installation(id: TestData.installationID(100), platform: .iOS, pushOptIn: true,
                                          createdAt: TestData.epoch, lastSeenAt: TestData.epoch))  // no token
        _ = try index.upsert(TestData.installation(200, platform: .android))  // no FCM sender configured
        let progress = try await h.campaign(index, template: h.template(), segment: .platform(.iOS))
        #expect(progress.targeted == 5 && progress.sent == 5)
        #expect(Set(h.sink.recorded.map(\.target.installationID)) == Set([0, 2, 4, 6, 8].map(TestData.installationID)))
        #expect(h.sink.recorded.allSatisfy { if case .campaign = $0.source { true } else { false } })
    }

    @Test func unknownAudienceIsRefusedBeforeAnythingIsSent() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        #expect(throws: ValidationError.self) {
            try h.dispatcher(TestData.index(3)).launchCampaign(.random(), segment: .inAudience(try AudienceName("nope")),
                                                                templates: [.iOS: h.template()])
        }
        #expect(h.server.gateway.statistics.snapshot().requests == 0)
    }

    @Test func transactionalResolvesTokensCustomIDsAndInstallationIDsOnceEach() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        let index = TestData.index(0)
        for i in 0..<6 { _ = try index.upsert(TestData.installation(i, customID: i < 3 ? "user-a" : nil)) }
        let group = try GroupID("order_shipped")
        let run = try h.dispatcher(index).sendTransactional(
            try SendToken("tx-1"), groupID: group,
            recipients: Recipients(tokens: [TestData.token(0), TestData.token(4), TestData.token(999)],
                                   customIDs: [try CustomID("user-a"), try CustomID("nobody")],
                                   installationIDs: [TestData.installationID(5), TestData.installationID(1), try InstallationID("missing")]),
            templates: [.iOS: h.template()])
        let progress = await run.finished(within: .seconds(30))
        // user-a → 0, 1, 2; tokens → 0, 4; IDs → 5, 1: six distinct installations minus none = {0,1,2,4,5}.
        #expect(progress.targeted == 5 && progress.sent == 5)
        #expect(progress.skipped == 3)  // token 999, custom ID "nobody", installation "missing"
        #expect(Set(h.sink.recorded.map(\.target.installationID)) == Set([0, 1, 2, 4, 5].map(TestData.installationID)))
        #expect(h.sink.recorded.allSatisfy { $0.source == .transactional(try! SendToken("tx-1"), group) })
    }

    @Test func transactionalResolvesAdvertisingIDs() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        let index = TestData.index(3)
        let adid = try AdvertisingID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
        var installation = TestData.installation(10)
        installation.advertisingID = adid
        _ = try index.upsert(installation)
        let run = try h.dispatcher(index).sendTransactional(.random(), groupID: GroupID("ads"), recipients: Recipients(advertisingIDs: [adid]),
                                                            templates: [.iOS: h.template()])
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.targeted == 1 && progress.sent == 1)
        #expect(h.sink.recorded.map(\.target.installationID) == [TestData.installationID(10)])
        #expect(h.sink.recorded.first?.target.advertisingID == adid)
    }

    @Test func transactionalWithoutRecipientsIsRefused() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        #expect(throws: ValidationError(field: "recipients", reason: .empty)) {
            try h.dispatcher(TestData.index(1)).sendTransactional(.random(), groupID: GroupID("g"), recipients: Recipients(),
                                                                  templates: [.iOS: h.template()])
        }
    }

    @Test func badIdentifiersAreRefusedNamingTheField() async {
        #expect(throws: ValidationError(field: "group_id", reason: .invalidCharacters)) { try GroupID("a b") }
        #expect(throws: ValidationError(field: "token", reason: .invalidCharacters)) { try SendToken("a;b") }
        #expect(throws: ValidationError(field: "token", reason: .empty)) { try SendToken("") }
    }

    @Test func windowBoundsWhatIsInFlight() async throws {
        // A slow gateway and a small window: the sender never holds more than the window.
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(5)))])
        let h = try Harness(scenario: scenario, window: 16)
        defer { h.shutdown() }
        let run = try h.dispatcher(TestData.index(400)).launchCampaign(.random(), segment: .all, templates: [.iOS: h.template()])
        let progress = await run.finished(within: .seconds(30))
        #expect(progress.sent == 400)
        // The sender's own high-water mark of targets between submission and final event: it
        // fills the window (the first hand-off takes all 16 places) and never goes past it.
        let peak = h.sender.peakInFlight
        #expect(peak >= 16, "the window fills")
        #expect(peak <= 16, "never more than the window")
        #expect(h.sender.inFlight == 0)
    }

    /// Cancel stops the segment scan itself, not only the submissions: the scan yields little
    /// more than what was in the window when the campaign was cancelled.
    @Test func cancelStopsTheScanEarly() async throws {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(20)))])
        let h = try Harness(scenario: scenario, window: 20)
        defer { h.shutdown() }
        let count = 20_000
        let run = try h.dispatcher(TestData.index(count)).launchCampaign(.random(), segment: .all, templates: [.iOS: h.template()])
        for _ in 0..<2_000 where run.progress.targeted == 0 { usleep(1_000) }
        run.cancel()
        #expect(run.isCancelled)
        let progress = await run.finished(within: .seconds(60))
        #expect(progress.isFinished && progress.cancelled)
        #expect(progress.targeted > 0 && progress.targeted < count)
        #expect(run.scannedCount < count / 4, "the scan went on after the cancel: \(run.scannedCount) of \(count)")
        #expect(progress.sent + progress.failed == progress.targeted)
        let events = h.eventsByInstallation
        #expect(events.count == progress.targeted && events.values.allSatisfy { $0.count == 1 })
    }

    /// Scanned records carry their language through to the target.
    @Test func scannedTargetsCarryTheirLanguage() async throws {
        let h = try Harness()
        defer { h.shutdown() }
        let index = TestData.index(0)
        var fr = TestData.installation(1)
        fr.language = try LanguageCode("fr")
        _ = try index.upsert(fr)
        _ = try index.upsert(TestData.installation(2))
        let progress = try await h.campaign(index, template: h.template())
        #expect(progress.sent == 2)
        let byID = h.eventsByInstallation
        #expect(byID[TestData.installationID(1)]?.first?.target.language == (try LanguageCode("fr")))
        #expect(byID[TestData.installationID(2)]?.first?.target.language == nil)
    }
}
