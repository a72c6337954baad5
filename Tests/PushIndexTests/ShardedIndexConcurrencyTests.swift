import Testing
import Dispatch
import Synchronization
@testable import PushIndex
import PushModel

/// Hammers one index from several threads with mixed writes, lookups and scans, then checks
/// every cross-table invariant and each thread's own installations.
@Suite struct ShardedIndexConcurrencyTests {
    struct Rng {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// What a thread last did to one of its own installations.
    struct Expected: Sendable {
        var present: Bool
        var customID: CustomID?
        var optIn: Bool
        var advertising: AdvertisingID?
        var privateToken: DeviceToken?  // nil: shared token (may have moved) or none
    }

    @Test func mixedLoadKeepsEveryInvariant() throws {
        let threads = 4
        let perThread = 64
        let operations = 3_000
        let index = ShardedIndex(configuration: .init(rowShards: 8, keyShards: 4))
        let age = try AttributeName("age")
        let audience = try AudienceName("hammer")
        try index.replaceAudience(audience, kind: .customIDs, members: [])
        let expectations = Mutex<[Int: Expected]>([:])
        let problems = Mutex<[String]>([])
        let sharedTokens = (0..<8).map { Fixture.apns(900_000 + $0) }

        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var rng = Rng(state: UInt64(thread) &* 7919)
            var mine: [Int: Expected] = [:]
            for step in 0..<operations {
                let n = thread * 1_000 + rng.below(perThread)
                switch rng.below(10) {
                case 0, 1, 2, 3:
                    let shared = rng.below(5) == 0
                    let token = shared ? sharedTokens[rng.below(sharedTokens.count)] : Fixture.apns(n * 100 + rng.below(3))
                    let custom = rng.below(3) == 0 ? nil : try! CustomID("user-\(rng.below(40))")
                    let adv = rng.below(2) == 0 ? nil : Fixture.adv(rng.below(30))
                    let optIn = rng.below(2) == 0
                    var i = Fixture.installation(n, optIn: optIn, registeredAt: Timestamp(millisecondsSince1970: Int64(step)), token: .some(token))
                    i.customID = custom
                    i.advertisingID = adv
                    let before = mine[n]
                    let outcome = try! index.upsert(i)
                    let wasPresent = before?.present ?? false
                    if outcome.created == wasPresent { problems.withLock { $0.append("created=\(outcome.created) for \(n)") } }
                    let wasOptedIn = wasPresent && before!.optIn
                    let expectedChange: OptInChange? = wasOptedIn == optIn ? nil : (optIn ? .optedIn : .optedOut)
                    if outcome.optInChange != expectedChange { problems.withLock { $0.append("opt-in change for \(n)") } }
                    mine[n] = Expected(present: true, customID: custom, optIn: optIn, advertising: adv, privateToken: shared ? nil : token)
                case 4:
                    let removed = index.deleteInstallation(Fixture.uuid(n))
                    if (removed != nil) != (mine[n]?.present ?? false) { problems.withLock { $0.append("delete of \(n)") } }
                    mine[n] = Expected(present: false, customID: nil, optIn: false, advertising: nil, privateToken: nil)
                case 5:
                    if let token = mine[n]?.privateToken {
                        let result = index.deleteToken(token, of: Fixture.uuid(n), invalidatedAt: Timestamp(millisecondsSince1970: Int64(operations + 1)))
                        if result != .deleted { problems.withLock { $0.append("token deletion of \(n): \(result)") } }
                        mine[n]?.privateToken = nil
                    }
                case 6:
                    let user = try! CustomID("user-\(rng.below(40))")
                    _ = try! index.setAttributes([age: rng.below(4) == 0 ? .null : .int(Int64(rng.below(100)))], for: user)
                    _ = try! index.updateAudience(audience, kind: .customIDs,
                                                  add: [.customID(user)], remove: [.customID(try! CustomID("user-\(rng.below(40))"))])
                case 7:
                    let token = rng.below(2) == 0 ? sharedTokens[rng.below(sharedTokens.count)] : Fixture.apns(n * 100 + rng.below(3))
                    if let found = index.installation(forToken: token), found.token != token {
                        problems.withLock { $0.append("token lookup returned another token") }
                    }
                    let user = try! CustomID("user-\(rng.below(40))")
                    for found in index.installations(forCustomID: user) where found.customID != user {
                        problems.withLock { $0.append("custom ID lookup returned another user") }
                    }
                case 8:
                    if let found = index.installation(Fixture.uuid(n)), found.id != Fixture.uuid(n) {
                        problems.withLock { $0.append("ID lookup returned another installation") }
                    }
                default:
                    if rng.below(8) == 0 {
                        try! index.scan(.and([.pushOptIn(true), .attribute(age, .greaterThan(.int(50)))]), batchSize: 16, parallelism: 2) { batch in
                            if batch.count > 16 || batch.contains(where: { !$0.pushOptIn || $0.customID == nil }) {
                                problems.withLock { $0.append("scan yielded a non-matching installation") }
                            }
                        }
                    }
                }
            }
            let finished = mine
            expectations.withLock { all in for (k, v) in finished { all[k] = v } }
        }

        #expect(problems.withLock { $0 } == [])
        #expect(index.invariantViolations() == [])
        let expected = expectations.withLock { $0 }
        for (n, e) in expected {
            let found = index.installation(Fixture.uuid(n))
            #expect((found != nil) == e.present, "presence of \(n)")
            guard let found, e.present else { continue }
            #expect(found.customID == e.customID)
            #expect(found.pushOptIn == e.optIn)
            #expect(found.advertisingID == e.advertising)
            if let token = e.privateToken {
                #expect(found.token == token)
                #expect(index.installation(forToken: token)?.id == found.id)
            }
            if let user = e.customID {
                #expect(index.installations(forCustomID: user).contains { $0.id == found.id })
            }
        }
        // Each shared token ends with at most one holder.
        for token in sharedTokens {
            let holders = expected.keys.filter { index.installation(Fixture.uuid($0))?.token == token }
            #expect(holders.count <= 1)
        }
        #expect(index.count == expected.values.filter(\.present).count)
    }

    /// Bulk loads from four threads over two row shards, so loaders often find a shard's lock
    /// held and come back to it at the end (`withLockIfAvailable`), with single upserts and
    /// lookups in between. Every installation must be applied exactly once, in order within a
    /// call, with the outcomes one-by-one upserts would give.
    @Test func concurrentBulkLoadsOverFewShardsApplyEachInstallationOnce() throws {
        let threads = 4
        let rounds = 60
        let chunk = 48
        let index = ShardedIndex(configuration: .init(rowShards: 2, keyShards: 2))
        let sharedTokens = (0..<6).map { Fixture.apns(800_000 + $0) }
        let problems = Mutex<[String]>([])
        let finals = Mutex<[Int: Installation]>([:])

        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var rng = Rng(state: UInt64(t + 1) &* 104_729)
            var present = Set<Int>()
            var last: [Int: Installation] = [:]
            for round in 0..<rounds {
                let ns = (0..<chunk).map { _ in t * 10_000 + rng.below(120) }
                let batch = ns.enumerated().map { k, n in
                    let token = rng.below(8) == 0 ? sharedTokens[rng.below(sharedTokens.count)] : Fixture.apns(n * 10 + round % 3)
                    var i = Fixture.installation(n, optIn: rng.below(2) == 0,
                                                 registeredAt: Timestamp(millisecondsSince1970: Int64(round * 1_000 + k)), token: .some(token))
                    i.customID = rng.below(3) == 0 ? nil : try! CustomID("u-\(t)-\(rng.below(30))")
                    return i
                }
                let outcomes = try! index.upsert(contentsOf: batch)
                for (k, n) in ns.enumerated() {
                    // Created only by the first entry for an installation this thread never loaded.
                    let expected = ns.firstIndex(of: n) == k && !present.contains(n)
                    if outcomes[k].created != expected { problems.withLock { $0.append("round \(round): created=\(outcomes[k].created) for \(n)") } }
                    last[n] = batch[k]
                }
                present.formUnion(ns)
                // A single upsert and lookups between bulk calls.
                let n = t * 10_000 + 500 + round
                _ = try! index.upsert(Fixture.installation(n, token: .some(Fixture.apns(n * 10))))
                last[n] = Fixture.installation(n, token: .some(Fixture.apns(n * 10)))
                if let found = index.installation(forToken: Fixture.apns(n * 10)), found.id != Fixture.uuid(n) {
                    problems.withLock { $0.append("token lookup of \(n) found \(found.id)") }
                }
            }
            let mine = last
            finals.withLock { all in for (k, v) in mine { all[k] = v } }
        }

        #expect(problems.withLock { $0 } == [])
        #expect(index.invariantViolations() == [])
        let expected = finals.withLock { $0 }
        #expect(index.count == expected.count)
        for (n, want) in expected {
            guard let found = index.installation(Fixture.uuid(n)) else {
                Issue.record("installation \(n) missing")
                continue
            }
            #expect(found.customID == want.customID, "custom ID of \(n)")
            #expect(found.pushOptIn == want.pushOptIn, "opt-in of \(n)")
            if let token = want.token, !sharedTokens.contains(token) {
                #expect(found.token == token, "token of \(n)")
            }
        }
        for token in sharedTokens {
            let holders = expected.keys.filter { index.installation(Fixture.uuid($0))?.token == token }
            #expect(holders.count <= 1)
        }
    }
}
