import HTTP2Transport
import PushCrypto
import PushModel
import Synchronization
import Testing
@testable import Gateways

/// A wall clock tests move by hand.
final class ManualWallClock: Sendable {
    private let now = Mutex<Int64>(1_800_000_000_000)
    func advance(minutes: Int64) { now.withLock { $0 += minutes * 60_000 } }
    var clock: PushClock { PushClock { [self] in now.withLock { $0 } } }
}

@Suite struct APNsProviderTokenCacheTests {
    static let key: P256PrivateKey = { try! P256PrivateKey.generate() }()

    func makeCache(_ clock: ManualWallClock) -> APNsProviderTokenCache {
        APNsProviderTokenCache(credentials: APNsTokenCredentials(key: Self.key, keyID: "KEY1234567", teamID: "TEAM123456"), clock: clock.clock)
    }

    @Test func tokenIsAVerifiableES256JWTWithKidIssAndIat() throws {
        let clock = ManualWallClock()
        let token = try makeCache(clock).current()
        #expect(token.authorization.hasPrefix("bearer "))
        let jws = try JWSCompact(parsing: String(token.authorization.dropFirst(7)))
        #expect(jws.verify(with: ES256Verifier(key: try Self.key.publicKey())))
        #expect(String(decoding: jws.header, as: UTF8.self) == #"{"alg":"ES256","kid":"KEY1234567"}"#)
        #expect(String(decoding: jws.claims, as: UTF8.self) == #"{"iss":"TEAM123456","iat":1800000000}"#)
    }

    @Test func oneTokenIsReusedUntilFiftyMinutes() throws {
        let clock = ManualWallClock()
        let cache = makeCache(clock)
        let first = try cache.current()
        clock.advance(minutes: 49)
        #expect(try cache.current() == first)
        clock.advance(minutes: 1)
        let second = try cache.current()
        #expect(second != first)
        #expect(second.generation == first.generation + 1)
        #expect(cache.issuedCount == 2)
    }

    @Test func aRefusedYoungTokenIsNotReissuedBeforeTwentyMinutes() throws {
        let clock = ManualWallClock()
        let cache = makeCache(clock)
        let first = try cache.current()
        clock.advance(minutes: 5)
        #expect(cache.invalidate(generation: first.generation) == false)
        #expect(try cache.current() == first)
        clock.advance(minutes: 15)  // 20 minutes old: the floor allows the asked-for reissue
        #expect(try cache.current().generation == first.generation + 1)
    }

    @Test func aRefusedOldTokenIsReissuedAtOnceAndOnlyOnce() throws {
        let clock = ManualWallClock()
        let cache = makeCache(clock)
        let first = try cache.current()
        clock.advance(minutes: 30)
        #expect(cache.invalidate(generation: first.generation))
        let second = try cache.current()
        #expect(second.generation == first.generation + 1)
        // A late refusal of the old generation does not touch the new token.
        cache.invalidate(generation: first.generation)
        clock.advance(minutes: 25)
        #expect(try cache.current() == second)
    }

    @Test func templateRebuildsItsHeaderBlockOnlyWhenTheTokenChanges() throws {
        let clock = ManualWallClock()
        let cache = makeCache(clock)
        let template = try APNsSendTemplate(message: PushMessage(body: "x"), options: APNsOptions(topic: "t"), tokens: cache)
        let a = try template.currentHeaderBlock()
        let b = try template.currentHeaderBlock()
        #expect(a.block === b.block)
        clock.advance(minutes: 50)
        let c = try template.currentHeaderBlock()
        #expect(c.block !== a.block)
        #expect(c.generation == a.generation + 1)
        #expect(c.block.fields.last == HTTP2HeaderField("authorization", try cache.current().authorization))
    }
}
