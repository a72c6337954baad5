import Testing
import PushSync
@testable import PushIndex
import PushModel

/// Callbacks run on several threads: results are gathered behind `Locked` (TSan-visible),
/// not a bare `Mutex`, so the thread-sanitizer run sees their ordering.
@Suite struct TargetScanTests {
    let age = try! AttributeName("age")

    /// 300 installations: every 7th without a token, odd n Android, n % 3 == 0 with a custom ID
    /// (users shared by pairs), n % 4 == 0 with an advertising ID, n % 5 == 0 opted out,
    /// every 11th without a language; a few deleted so dead rows sit among live ones.
    func populated() throws -> ShardedIndex {
        let index = Fixture.index()
        for n in 0..<300 {
            try index.upsert(Fixture.installation(
                n, platform: n % 2 == 0 ? .iOS : .android, custom: n % 3 == 0 ? "user-\(n / 6)" : nil,
                adv: n % 4 == 0 ? n : nil, optIn: n % 5 != 0, language: n % 11 == 0 ? nil : (n < 150 ? "fr" : "de"),
                token: n % 7 == 0 ? .some(nil) : nil))
        }
        for n in stride(from: 0, to: 300, by: 13) { index.deleteInstallation(Fixture.uuid(n)) }
        for u in 0..<50 { try index.setAttributes([age: .int(Int64(u))], for: try CustomID("user-\(u)")) }
        return index
    }

    func expected(_ index: ShardedIndex, _ segment: Segment) throws -> [InstallationID: TargetRecord] {
        let found = Locked<[InstallationID: TargetRecord]>([:])
        try index.scan(segment, batchSize: 5) { batch in
            for i in batch {
                guard let token = i.token else { continue }
                let record = TargetRecord(installationID: i.id, platform: i.platform, token: token, customID: i.customID,
                                          advertisingID: i.advertisingID, language: i.language, pushOptIn: i.pushOptIn)
                found.withLock { _ = $0.updateValue(record, forKey: i.id) }
            }
        }
        return found.withLock { $0 }
    }

    func targets(_ index: ShardedIndex, _ segment: Segment, parallelism: Int) throws -> [InstallationID: TargetRecord] {
        let found = Locked<[InstallationID: TargetRecord]>([:])
        let batches = Locked(0)
        let total = try index.scanTargets(segment, batchSize: 6, parallelism: parallelism) { batch in
            #expect(batch.count >= 1 && batch.count <= 6)
            batches.withLock { $0 += 1 }
            found.withLock { f in
                for r in batch { #expect(f.updateValue(r, forKey: r.installationID) == nil, "yielded twice") }
            }
            return true
        }
        let result = found.withLock { $0 }
        #expect(total == result.count)
        return result
    }

    @Test(arguments: [1, 2, 3])
    func yieldsWhatScanYieldsWithATokenFieldForField(parallelism: Int) throws {
        let index = try populated()
        let segments: [Segment] = [
            .all, .platform(.android), .pushOptIn(true), .language(try LanguageCode("de")),
            .attribute(age, .greaterThan(.int(20))), .not(.attribute(age, .exists)),
            .and([.pushOptIn(true), .attribute(age, .lessThan(.int(30)))]),
        ]
        for segment in segments {
            let want = try expected(index, segment)
            let got = try targets(index, segment, parallelism: parallelism)
            #expect(got == want, "segment \(segment)")
            #expect(!got.isEmpty)
        }
        // Sanity on the population: tokenless and deleted rows really are excluded, and
        // records carry custom IDs, advertising IDs and both platforms.
        let all = try targets(index, .all, parallelism: parallelism)
        let live = Set((0..<300).filter { $0 % 13 != 0 })
        #expect(all.count == live.filter { $0 % 7 != 0 }.count)
        #expect(all[Fixture.uuid(7)] == nil && all[Fixture.uuid(14)] == nil)
        let three = try #require(all[Fixture.uuid(3)])
        #expect(three.customID == (try CustomID("user-0")))
        #expect(three.platform == .android && three.token == Fixture.fcm(3))
        let four = try #require(all[Fixture.uuid(4)])
        #expect(four.advertisingID == Fixture.adv(4) && four.customID == nil && four.token == Fixture.apns(4))
        #expect(all[Fixture.uuid(5)]?.pushOptIn == false && all[Fixture.uuid(22)]?.language == nil)
    }

    @Test(arguments: [1, 2, 4])
    func falseStopsEveryThread(parallelism: Int) throws {
        let index = Fixture.index(shards: 16)
        for n in 0..<5_000 { try index.upsert(Fixture.installation(n)) }
        let batchSize = 10
        for stopAfter in [1, 3] {
            let calls = Locked(0)
            let seen = Locked(0)
            let total = try index.scanTargets(.all, batchSize: batchSize, parallelism: parallelism) { batch in
                seen.withLock { $0 += batch.count }
                return calls.withLock { c in
                    c += 1
                    return c < stopAfter
                }
            }
            #expect(total == seen.withLock { $0 })
            // The batches up to the stopping one, plus at most one in flight on each other thread.
            #expect(total >= stopAfter)
            #expect(total <= (stopAfter + parallelism - 1) * batchSize)
            if parallelism == 1 { #expect(calls.withLock { $0 } == stopAfter) }
        }
        // Returning true throughout visits everything.
        #expect(try index.scanTargets(.all, batchSize: batchSize, parallelism: parallelism) { _ in true } == 5_000)
    }

    @Test func rejectsWhatScanRejects() throws {
        let index = try populated()
        #expect(throws: ValidationError.self) {
            try index.scanTargets(.attribute(age, .equals(.string("x")))) { _ in true }
        }
    }
}
