import Delivery
import Gateways
import HTTP2Transport
import PushCrypto
import MockGateway
import PushModel
import PushTestSupport
import Testing

/// Provider tokens against the validating gateway, on one clock moved by hand.
@Suite(.serialized) struct ProviderTokenDeliveryTests {
    @Test func oneTokenIsSharedByEveryConnectionAndRenewedOnTheClock() async throws {
        let clock = SharedTestClock()
        let h = try Harness(authenticate: true, clock: clock, connections: 3)
        defer { h.shutdown() }
        let tokens = h.providerTokens()
        let template = try h.template(tokens: tokens)  // one long-lived send template across renewals
        let index = TestData.index(300)

        for (advance, issued) in [(0, 1), (30, 1), (25, 2), (10, 2), (45, 3)] as [(Int64, Int)] {
            clock.advance(minutes: advance)
            let progress = try await h.campaign(index, template: template)
            #expect(progress.sent == 300, "after +\(advance) min: \(progress)")
            #expect(tokens.issuedCount == issued, "after +\(advance) min")
        }
        let reasons = h.server.gateway.statistics.snapshot().byReason
        #expect(reasons["TooManyProviderTokenUpdates"] == nil)
        #expect(reasons["ExpiredProviderToken"] == nil)
        #expect(h.sender.credentialsFlag == nil)
    }

    @Test func anExpiredTokenIsReissuedOnceAndTheRequestRetried() async throws {
        let clock = SharedTestClock()
        let h = try Harness(authenticate: true, clock: clock, connections: 1)
        defer { h.shutdown() }
        // A cache that would keep its token too long (a skewed or misconfigured refresh).
        let tokens = APNsProviderTokenCache(
            credentials: APNsTokenCredentials(key: TestData.signingKey, keyID: TestData.keyID, teamID: TestData.teamID),
            clock: clock.clock, refreshAfter: .seconds(3 * 3600))
        let template = try h.template(tokens: tokens)
        let index = TestData.index(20)
        await #expect(try h.campaign(index, template: template).sent == 20)
        clock.advance(minutes: 61)
        let progress = try await h.campaign(index, template: template)
        #expect(progress.sent == 20 && progress.failed == 0)
        #expect(tokens.issuedCount == 2)
        #expect((h.server.gateway.statistics.snapshot().byReason["ExpiredProviderToken"] ?? 0) >= 1)
        #expect(h.server.gateway.statistics.snapshot().byReason["TooManyProviderTokenUpdates"] == nil)
        #expect(h.sender.credentialsFlag == nil)
    }

    @Test func aTokenRefusedAgainAfterTheRetryIsAPushErrorAndFlagsTheCredentials() async throws {
        // The gateway trusts another key: every token we sign is InvalidProviderToken.
        let h = try Harness(authenticate: true, verificationKey: try P256PrivateKey.generate())
        defer { h.shutdown() }
        let tokens = h.providerTokens()
        let progress = try await h.campaign(TestData.index(5), template: h.template(tokens: tokens))
        #expect(progress.failed == 5 && progress.sent == 0)
        #expect(h.sink.recorded.allSatisfy { $0.kind == .error("InvalidProviderToken") && $0.attempts == 2 })
        #expect(h.sender.credentialsFlag == .invalidProviderToken)
        #expect(tokens.issuedCount == 1, "a young refused token is not reissued (the same key signs the same way)")
        #expect(h.server.gateway.statistics.snapshot().requests == 10)
    }
}
