import Testing
import Synchronization
@testable import PushIndex
import PushModel

@Suite struct ShardedIndexTests {
    @Test func shardCountIsSixteenPerCoreAsAPowerOfTwo() {
        let cases = [0: 16, 1: 16, 2: 32, 3: 64, 4: 64, 5: 128, 8: 128, 9: 256, 16: 256, 64: 256, 1_000: 256]
        for (cores, shards) in cases {
            #expect(ShardedIndex.Configuration.shardCount(cores: cores) == shards, "\(cores) cores")
        }
        let usable = ShardedIndex.Configuration.usableCores()
        #expect(usable >= 1)
        #expect(ShardedIndex.Configuration.defaultShardCount == ShardedIndex.Configuration.shardCount(cores: usable))
        #expect(ShardedIndex.Configuration().rowShards == ShardedIndex.Configuration.defaultShardCount)
        #expect(ShardedIndex.Configuration().keyShards == ShardedIndex.Configuration.defaultShardCount)
    }

    @Test func rowsArePacked() {
        #expect(MemoryLayout<Row>.stride == 96)
        #expect(MemoryLayout<CustomRecord>.stride == 24)
        #expect(MemoryLayout<AttributeEntry>.stride == 16)
    }

    @Test func upsertThenFindByEveryKey() throws {
        let index = Fixture.index()
        let i = Fixture.installation(1, custom: "user-1", adv: 1)
        let outcome = try index.upsert(i)
        #expect(outcome == UpsertOutcome(created: true, optInChange: .optedIn, tokenChanged: true))
        #expect(index.count == 1)
        #expect(index.installation(i.id) == i)
        #expect(index.installation(forToken: Fixture.apns(1)) == i)
        #expect(index.installations(forCustomID: try CustomID("user-1")) == [i])
        #expect(index.installations(forAdvertisingID: Fixture.adv(1)) == [i])
        #expect(index.installation(Fixture.uuid(2)) == nil)
        #expect(index.installation(forToken: Fixture.apns(2)) == nil)
        #expect(index.installations(forCustomID: try CustomID("user-2")).isEmpty)
        #expect(index.invariantViolations() == [])
    }

    @Test func batchTokenLookupsMatchSingleOnes() throws {
        let index = Fixture.index()
        for n in 0..<200 { try index.upsert(Fixture.installation(n, platform: n % 3 == 0 ? .android : .iOS)) }
        index.deleteInstallation(Fixture.uuid(5))
        let tokens = (0..<210).map { $0 % 3 == 0 ? Fixture.fcm($0) : Fixture.apns($0) } + [Fixture.apns(3)]
        let batch = index.installationIDs(forTokens: tokens)
        #expect(batch.count == tokens.count)
        for (i, token) in tokens.enumerated() { #expect(batch[i] == index.installationID(forToken: token)) }
        #expect(batch[7] == Fixture.uuid(7))
        #expect(batch[5] == nil)
        #expect(batch[205] == nil)
        #expect(batch[210] == nil)  // an APNs token shaped like installation 3's FCM one
        #expect(index.installationIDs(forTokens: []).isEmpty)
    }

    @Test func opaqueIDsAndLongFCMTokensLiveInTheArena() throws {
        let index = Fixture.index()
        let t = Fixture.t(1_700_000_000)
        let i = Installation(id: try InstallationID("android-install-7"), platform: .android, token: Fixture.fcm(7),
                             pushOptIn: false, createdAt: t, lastSeenAt: t)
        #expect(try index.upsert(i).optInChange == nil)
        #expect(index.installation(try InstallationID("android-install-7")) == i)
        #expect(index.installation(forToken: Fixture.fcm(7)) == i)
        #expect(index.installation(forToken: Fixture.fcm(8)) == nil)
        #expect(index.deleteInstallation(i.id) == i)
        #expect(index.count == 0)
        #expect(index.invariantViolations() == [])
    }

    @Test func severalDevicesOfOneUser() throws {
        let index = Fixture.index()
        for n in 0..<5 { try index.upsert(Fixture.installation(n, custom: "user-many")) }
        try index.upsert(Fixture.installation(9, custom: "user-other"))
        let found = index.installations(forCustomID: try CustomID("user-many")).map(\.id)
        #expect(Set(found) == Set((0..<5).map(Fixture.uuid)))
        // Logging out of one device detaches only that one.
        try index.upsert(Fixture.installation(2, custom: nil))
        #expect(index.installations(forCustomID: try CustomID("user-many")).count == 4)
        try index.upsert(Fixture.installation(3, custom: "user-other"))
        #expect(index.installations(forCustomID: try CustomID("user-other")).count == 2)
        #expect(index.invariantViolations() == [])
    }

    @Test func optInChangesAreReported() throws {
        let index = Fixture.index()
        #expect(try index.upsert(Fixture.installation(1, optIn: false)).optInChange == nil)
        #expect(try index.upsert(Fixture.installation(1, optIn: true)).optInChange == .optedIn)
        #expect(try index.upsert(Fixture.installation(1, optIn: true)).optInChange == nil)
        let out = try index.upsert(Fixture.installation(1, optIn: false))
        #expect(out == UpsertOutcome(created: false, optInChange: .optedOut, tokenChanged: false))
    }

    @Test func aNewTokenMovesTheTokenEntry() throws {
        let index = Fixture.index()
        try index.upsert(Fixture.installation(1))
        let out = try index.upsert(Fixture.installation(1, token: .some(Fixture.apns(100))))
        #expect(out.tokenChanged)
        #expect(index.installation(forToken: Fixture.apns(1)) == nil)
        #expect(index.installation(forToken: Fixture.apns(100))?.id == Fixture.uuid(1))
        // Dropping the token removes it.
        try index.upsert(Fixture.installation(1, token: .some(nil)))
        #expect(index.installation(forToken: Fixture.apns(100)) == nil)
        #expect(index.installation(Fixture.uuid(1))?.token == nil)
        #expect(index.invariantViolations() == [])
    }

    @Test func aReusedTokenGoesToTheLatestRegistration() throws {
        let index = Fixture.index()
        let shared = Fixture.apns(500)
        try index.upsert(Fixture.installation(1, registeredAt: Fixture.t(1_000), token: .some(shared)))
        try index.upsert(Fixture.installation(2, registeredAt: Fixture.t(2_000), token: .some(shared)))
        #expect(index.installation(forToken: shared)?.id == Fixture.uuid(2))
        #expect(index.installation(Fixture.uuid(1))?.token == nil)
        // An older registration replayed later does not take it back.
        try index.upsert(Fixture.installation(3, registeredAt: Fixture.t(1_500), token: .some(shared)))
        #expect(index.installation(forToken: shared)?.id == Fixture.uuid(2))
        #expect(index.installation(Fixture.uuid(3))?.token == nil)
        #expect(index.invariantViolations() == [])
    }

    @Test func tokenDeletionFollowsApplesTimestampRule() throws {
        let index = Fixture.index()
        let token = Fixture.apns(1)
        try index.upsert(Fixture.installation(1, registeredAt: Timestamp(millisecondsSince1970: 5_000_000)))
        #expect(index.deleteToken(token, of: Fixture.uuid(1), invalidatedAt: Timestamp(millisecondsSince1970: 4_999_999))
                == .registeredAfterInvalidation)
        #expect(index.deleteToken(token, of: Fixture.uuid(1), invalidatedAt: Timestamp(millisecondsSince1970: 5_000_000))
                == .registeredAfterInvalidation)
        #expect(index.deleteToken(Fixture.apns(2), of: Fixture.uuid(1), invalidatedAt: Timestamp(millisecondsSince1970: 9_000_000))
                == .notCurrent)
        #expect(index.deleteToken(token, of: Fixture.uuid(7), invalidatedAt: Timestamp(millisecondsSince1970: 9_000_000))
                == .notCurrent)
        #expect(index.installation(forToken: token) != nil)
        #expect(index.deleteToken(token, of: Fixture.uuid(1), invalidatedAt: Timestamp(millisecondsSince1970: 5_000_001)) == .deleted)
        #expect(index.installation(forToken: token) == nil)
        #expect(index.installation(Fixture.uuid(1)) != nil)
        // Re-registering the same token later protects it against an older invalidation.
        try index.upsert(Fixture.installation(1, registeredAt: Timestamp(millisecondsSince1970: 8_000_000)))
        #expect(index.deleteToken(token, of: Fixture.uuid(1), invalidatedAt: Timestamp(millisecondsSince1970: 7_000_000))
                == .registeredAfterInvalidation)
        #expect(index.invariantViolations() == [])
    }

    @Test func deletingAnInstallationRemovesEveryKey() throws {
        let index = Fixture.index()
        try index.upsert(Fixture.installation(1, custom: "u", adv: 1))
        try index.upsert(Fixture.installation(2, custom: "u", adv: 1))
        #expect(index.deleteInstallation(Fixture.uuid(1))?.id == Fixture.uuid(1))
        #expect(index.deleteInstallation(Fixture.uuid(1)) == nil)
        #expect(index.installation(forToken: Fixture.apns(1)) == nil)
        #expect(index.installations(forAdvertisingID: Fixture.adv(1)).map(\.id) == [Fixture.uuid(2)])
        #expect(index.installations(forCustomID: try CustomID("u")).map(\.id) == [Fixture.uuid(2)])
        // The freed row is reused.
        try index.upsert(Fixture.installation(3))
        #expect(index.count == 2)
        #expect(index.invariantViolations() == [])
    }

    @Test func badInputLeavesTheIndexUnchanged() throws {
        let index = ShardedIndex(configuration: .init(rowShards: 2, keyShards: 2))
        try index.upsert(Fixture.installation(1))
        // An APNs token on an Android installation.
        let bad = Fixture.installation(1, platform: .android, token: .some(Fixture.apns(9)))
        #expect(throws: ValidationError.self) { try index.upsert(bad) }
        do throws(ValidationError) { try index.upsert(bad) } catch { #expect(error.field == "token") }
        #expect(index.installation(Fixture.uuid(1)) == Fixture.installation(1))
        #expect(index.installation(forToken: Fixture.apns(9)) == nil)
        #expect(index.count == 1)
        #expect(index.invariantViolations() == [])
    }

    @Test func fieldsSurviveTheRoundTripAtSecondPrecision() throws {
        let index = Fixture.index()
        var i = Fixture.installation(1, custom: "user-1", adv: 3, language: "pt", region: "BR")
        i.id = try InstallationID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
        i.lastSeenAt = Timestamp(millisecondsSince1970: 1_700_000_000_999)
        try index.upsert(i)
        let back = try #require(index.installation(i.id))
        #expect(back.id.description == "6F9619FF-8B86-D011-B42D-00C04FC964FF")
        #expect(back.lastSeenAt == Fixture.t(1_700_000_000))
        #expect(back.language?.description == "pt")
        #expect(back.region?.description == "BR")
        #expect(back.timeZone?.value == "Europe/Paris")
        #expect(back.appVersion?.value == "4.2.0")
        #expect(back.advertisingID == Fixture.adv(3))
        // createdAt keeps the earliest value.
        var later = i
        later.createdAt = Fixture.t(1_650_000_000)
        try index.upsert(later)
        #expect(index.installation(i.id)?.createdAt == Fixture.t(1_600_000_000))
    }
}
