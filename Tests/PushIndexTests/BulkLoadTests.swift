import Testing
import PushSync
@testable import PushIndex
import PushModel

/// `upsert(contentsOf:)` must leave the index exactly as upserting each installation in turn.
@Suite struct BulkLoadTests {
    /// A mixed stream: new installations, updates of earlier ones (new token, opt-out, new
    /// user), shared users and advertising IDs, tokenless and Android rows, one reused token.
    func stream() -> [Installation] {
        var out: [Installation] = []
        for n in 0..<400 {
            out.append(Fixture.installation(
                n, platform: n % 5 == 0 ? .android : .iOS, custom: n % 3 == 0 ? "user-\(n / 6)" : nil,
                adv: n % 4 == 0 ? n / 8 : nil, optIn: n % 7 != 0, token: n % 11 == 0 ? .some(nil) : nil))
        }
        for n in stride(from: 0, to: 400, by: 9) {
            // Updates of rows already in the stream: a new token, flipped opt-in, another user.
            out.append(Fixture.installation(
                n, platform: n % 5 == 0 ? .android : .iOS, custom: "moved-\(n)", optIn: n % 7 == 0,
                token: .some(n % 5 == 0 ? Fixture.fcm(10_000 + n) : Fixture.apns(10_000 + n))))
        }
        // Installation 1's token registered again, later, by installation 401: it moves.
        out.append(Fixture.installation(401, registeredAt: Fixture.t(1_900_000_000), token: .some(Fixture.apns(1))))
        return out
    }

    func snapshot(_ index: ShardedIndex, ids: some Sequence<Int>) throws -> [Installation?] {
        ids.map { index.installation(Fixture.uuid($0)) }
    }

    @Test(arguments: [1, 7, 64, 10_000])
    func sameStateAndOutcomesAsOneByOne(chunk: Int) throws {
        let items = stream()
        let single = Fixture.index()
        let singleOutcomes = try items.map { try single.upsert($0) }
        let bulk = Fixture.index()
        var bulkOutcomes: [UpsertOutcome] = []
        var lo = 0
        while lo < items.count {
            let hi = min(lo + chunk, items.count)
            bulkOutcomes += try bulk.upsert(contentsOf: Array(items[lo..<hi]))
            lo = hi
        }
        #expect(bulkOutcomes == singleOutcomes)
        #expect(bulk.count == single.count)
        #expect(try snapshot(bulk, ids: 0..<402) == snapshot(single, ids: 0..<402))
        for n in 0..<402 {
            for token in [Fixture.apns(n), Fixture.fcm(n), Fixture.apns(10_000 + n), Fixture.fcm(10_000 + n)] {
                #expect(bulk.installationID(forToken: token) == single.installationID(forToken: token))
            }
        }
        for u in 0..<67 {
            let user = try CustomID("user-\(u)")
            #expect(Set(bulk.installations(forCustomID: user)) == Set(single.installations(forCustomID: user)))
        }
        #expect(Set(bulk.installations(forAdvertisingID: Fixture.adv(3))) == Set(single.installations(forAdvertisingID: Fixture.adv(3))))
        #expect(bulk.installationID(forToken: Fixture.apns(1)) == Fixture.uuid(401))
        #expect(bulk.invariantViolations() == [])
    }

    @Test func laterEntriesForOneIDWinAsInOrder() throws {
        let index = Fixture.index()
        let outcomes = try index.upsert(contentsOf: [
            Fixture.installation(5, optIn: true), Fixture.installation(5, optIn: false, token: .some(Fixture.apns(55))),
        ])
        #expect(outcomes == [UpsertOutcome(created: true, optInChange: .optedIn, tokenChanged: true),
                             UpsertOutcome(created: false, optInChange: .optedOut, tokenChanged: true)])
        #expect(index.installation(Fixture.uuid(5))?.pushOptIn == false)
        #expect(index.installationID(forToken: Fixture.apns(5)) == nil)
        #expect(index.installationID(forToken: Fixture.apns(55)) == Fixture.uuid(5))
    }

    @Test func oneBadInstallationChangesNothing() throws {
        let index = ShardedIndex(configuration: .init(rowShards: 2, keyShards: 2))
        let bad = Fixture.installation(3, platform: .android, token: .some(Fixture.apns(9)))
        #expect(throws: ValidationError(field: "[2].token", reason: .inconsistent("a APNs token on a ANDROID installation"))) {
            try index.upsert(contentsOf: [Fixture.installation(1), Fixture.installation(2), bad])
        }
        #expect(index.count == 0)
        #expect(try index.upsert(contentsOf: []) == [])
    }

    @Test func theSameIDTwiceSettlesATokenConflictLikeOneByOne() throws {
        // Y holds T (registered at 5). X claims T at 3 (loses), then again at 10 (wins).
        let t = Fixture.apns(77)
        func y() -> Installation { Fixture.installation(1, registeredAt: Timestamp(millisecondsSince1970: 5), token: .some(t)) }
        func x(_ at: Int64) -> Installation { Fixture.installation(2, registeredAt: Timestamp(millisecondsSince1970: at), token: .some(t)) }
        for bulk in [false, true] {
            let index = ShardedIndex(configuration: .init(rowShards: 4, keyShards: 4))
            try index.upsert(y())
            if bulk {
                try index.upsert(contentsOf: [x(3), x(10)])
            } else {
                try index.upsert(x(3))
                try index.upsert(x(10))
            }
            #expect(index.installationID(forToken: t) == Fixture.uuid(2), "bulk: \(bulk)")
            #expect(index.installation(Fixture.uuid(1))?.token == nil, "bulk: \(bulk): Y must have lost T")
            #expect(index.installation(Fixture.uuid(2))?.token == t, "bulk: \(bulk)")
        }
    }

    @Test func aTokenTheHolderGaveUpLaterInTheBatchStaysWithItsOwner() throws {
        // Y holds T (at 5); X claims T at 10, then moves to U in the same call: Y keeps T.
        let t = Fixture.apns(78), u = Fixture.apns(79)
        let index = ShardedIndex(configuration: .init(rowShards: 4, keyShards: 4))
        try index.upsert(Fixture.installation(1, registeredAt: Timestamp(millisecondsSince1970: 5), token: .some(t)))
        try index.upsert(contentsOf: [
            Fixture.installation(2, registeredAt: Timestamp(millisecondsSince1970: 10), token: .some(t)),
            Fixture.installation(2, registeredAt: Timestamp(millisecondsSince1970: 11), token: .some(u)),
        ])
        #expect(index.installation(Fixture.uuid(1))?.token == t)
        #expect(index.installationID(forToken: t) == Fixture.uuid(1))
        #expect(index.installationID(forToken: u) == Fixture.uuid(2))
    }
}
