import Testing
import Synchronization
@testable import PushIndex
import PushModel

@Suite struct SegmentTests {
    let age = try! AttributeName("age")
    let tier = try! AttributeName("tier")
    let tags = try! AttributeName("interests")

    /// Ten installations: even n iOS / odd Android; n < 5 opted in; user-n for n < 8
    /// (user-0 has two devices: 0 and 8); adv for n in 0...3; language fr for n < 6, else de.
    func populated() throws -> ShardedIndex {
        let index = Fixture.index()
        for n in 0..<10 {
            let custom: String? = n == 8 ? "user-0" : (n < 8 ? "user-\(n)" : nil)
            try index.upsert(Fixture.installation(
                n, platform: n % 2 == 0 ? .iOS : .android, custom: custom, adv: n <= 3 ? n : nil, optIn: n < 5,
                language: n < 6 ? "fr" : "de", region: n < 3 ? "FR" : "DE", lastSeen: 1_700_000_000 + Int64(n) * 100))
        }
        for n in 0..<8 {
            try index.setAttributes([age: .int(Int64(20 + n)), tier: .string(n % 2 == 0 ? "gold" : "free"),
                                     tags: .tags(n < 3 ? ["golf"] : ["jazz"])], for: try CustomID("user-\(n)"))
        }
        return index
    }

    func matching(_ index: ShardedIndex, _ segment: Segment) throws -> Set<Int> {
        let found = Mutex<Set<Int>>([])
        try index.scan(segment, batchSize: 4) { batch in
            for i in batch { found.withLock { _ = $0.insert(Int(i.id.uuid!.lo & 0xFFFF)) } }
        }
        let result = found.withLock { $0 }
        #expect(try index.count(matching: segment) == result.count)
        return result
    }

    @Test func installationFields() throws {
        let index = try populated()
        #expect(try matching(index, .all) == Set(0..<10))
        #expect(try matching(index, .platform(.android)) == [1, 3, 5, 7, 9])
        #expect(try matching(index, .pushOptIn(true)) == [0, 1, 2, 3, 4])
        #expect(try matching(index, .language(try LanguageCode("de"))) == [6, 7, 8, 9])
        #expect(try matching(index, .region(try RegionCode("FR"))) == [0, 1, 2])
        #expect(try matching(index, .lastSeenBefore(Fixture.t(1_700_000_200))) == [0, 1])
        #expect(try matching(index, .lastSeenAfter(Fixture.t(1_700_000_700))) == [8, 9])
        #expect(try matching(index, .hasToken) == Set(0..<10))
    }

    @Test func attributeComparisons() throws {
        let index = try populated()
        #expect(try matching(index, .attribute(age, .equals(.int(22)))) == [2])
        #expect(try matching(index, .attribute(age, .equals(.double(22)))) == [2])
        // user-0's attributes reach both of their devices.
        #expect(try matching(index, .attribute(age, .lessThan(.int(21)))) == [0, 8])
        #expect(try matching(index, .attribute(age, .greaterThan(.int(25)))) == [6, 7])
        #expect(try matching(index, .attribute(age, .isIn([.int(21), .int(23)]))) == [1, 3])
        #expect(try matching(index, .attribute(tier, .notEquals(.string("gold")))) == [1, 3, 5, 7])
        #expect(try matching(index, .attribute(tier, .exists)) == [0, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try matching(index, .attribute(tags, .contains("golf"))) == [0, 1, 2, 8])
        #expect(try matching(index, .attribute(try AttributeName("never_written"), .exists)) == [])
        #expect(try matching(index, .not(.attribute(tier, .exists))) == [9])
    }

    @Test func stringOrderingShortAndLong() throws {
        let index = try populated()
        #expect(try matching(index, .attribute(tier, .lessThan(.string("gold")))) == [1, 3, 5, 7])
        #expect(try matching(index, .attribute(tier, .greaterThan(.string("free")))) == [0, 2, 4, 6, 8])
        #expect(try matching(index, .attribute(tier, .isIn([.string("free"), .string("platinum")]))) == [1, 3, 5, 7])
        let motto = try AttributeName("motto")
        try index.setAttributes([motto: .string("a-long-motto-value")], for: try CustomID("user-1"))
        try index.setAttributes([motto: .string("b-long-motto-value")], for: try CustomID("user-2"))
        #expect(try matching(index, .attribute(motto, .greaterThan(.string("a-long-motto-value")))) == [2])
        #expect(try matching(index, .attribute(motto, .equals(.string("a-long-motto-value")))) == [1])
        #expect(try matching(index, .attribute(motto, .lessThan(.string("b")))) == [1])
    }

    @Test func booleanCombinations() throws {
        let index = try populated()
        let gold = Segment.attribute(tier, .equals(.string("gold")))
        #expect(try matching(index, .and([gold, .pushOptIn(true)])) == [0, 2, 4])
        #expect(try matching(index, .or([.platform(.android), gold])) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(try matching(index, .and([.not(gold), .language(try LanguageCode("fr"))])) == [1, 3, 5])
        // A negated attribute test also holds for installations without a custom ID (9).
        #expect(try matching(index, .and([.platform(.android), .not(gold)])) == [1, 3, 5, 7, 9])
        #expect(try matching(index, .or([.not(.attribute(age, .exists)), .attribute(age, .greaterThan(.int(26)))])) == [7, 9])
        #expect(try matching(index, .and([])) == Set(0..<10))
        #expect(try matching(index, .or([])) == [])
        // Wide and deep expressions stay within the evaluator's stack.
        let wide = Segment.or((0..<100).map { _ in Segment.region(try! RegionCode("FR")) })
        #expect(try matching(index, wide) == [0, 1, 2])
        var deep = Segment.all
        for _ in 0..<40 { deep = .and([.pushOptIn(true), deep]) }
        #expect(try matching(index, deep) == [0, 1, 2, 3, 4])
    }

    @Test func audiencesOfEveryKind() throws {
        let index = try populated()
        let byUser = try AudienceName("by-user")
        let byAdv = try AudienceName("by-adv")
        let byInstall = try AudienceName("by-install")
        try index.replaceAudience(byUser, kind: .customIDs, members: [.customID(try CustomID("user-0")), .customID(try CustomID("user-5"))])
        try index.replaceAudience(byAdv, kind: .advertisingIDs, members: [.advertisingID(Fixture.adv(1)), .advertisingID(Fixture.adv(3))])
        try index.replaceAudience(byInstall, kind: .installationIDs, members: [.installationID(Fixture.uuid(9))])
        #expect(try matching(index, .inAudience(byUser)) == [0, 5, 8])
        #expect(try matching(index, .inAudience(byAdv)) == [1, 3])
        #expect(try matching(index, .inAudience(byInstall)) == [9])
        #expect(try matching(index, .and([.pushOptIn(true), .notInAudience(byAdv)])) == [0, 2, 4])
        #expect(try matching(index, .or([.inAudience(byUser), .attribute(age, .greaterThan(.int(26)))])) == [0, 5, 7, 8])
        #expect(try matching(index, .not(.inAudience(byUser))) == [1, 2, 3, 4, 6, 7, 9])
        try index.updateAudience(byAdv, kind: .advertisingIDs, add: [.advertisingID(Fixture.adv(0))], remove: [.advertisingID(Fixture.adv(3))])
        #expect(try matching(index, .inAudience(byAdv)) == [0, 1])
        #expect(index.audience(byAdv)?.count == 2)
    }

    @Test func badSegmentsNameTheirPart() throws {
        let index = try populated()
        #expect(throws: ValidationError(field: "segment.audience", reason: .notFound("missing"))) {
            try index.count(matching: .inAudience(try AudienceName("missing")))
        }
        #expect(throws: ValidationError(field: "segment.attribute.age", reason: .wrongType(expected: "int", actual: "string"))) {
            try index.count(matching: .attribute(age, .equals(.string("x"))))
        }
        #expect(throws: ValidationError.self) { try index.count(matching: .attribute(tags, .equals(.string("golf")))) }
        #expect(throws: ValidationError.self) { try index.count(matching: .attribute(age, .contains("x"))) }
    }

    @Test func batchesAreBounded() throws {
        let index = Fixture.index(shards: 2)
        for n in 0..<100 { try index.upsert(Fixture.installation(n)) }
        let sizes = Mutex<[Int]>([])
        let total = try index.scan(.all, batchSize: 7, parallelism: 2) { batch in sizes.withLock { $0.append(batch.count) } }
        let seen = sizes.withLock { $0 }
        #expect(total == 100)
        #expect(seen.reduce(0, +) == 100)
        #expect(seen.allSatisfy { $0 >= 1 && $0 <= 7 })
    }

    @Test func userbasePassListsEveryInstallation() throws {
        let index = try populated()
        var entries: [UserbaseEntry] = []
        index.forEachUserbaseBatch(batchSize: 3) { batch in
            #expect(batch.count <= 3)
            entries += batch
        }
        #expect(entries.count == 10)
        let eight = try #require(entries.first { $0.installationID == Fixture.uuid(8) })
        #expect(eight.customID == (try CustomID("user-0")))
        #expect(eight.advertisingID == nil)
        #expect(eight.pushOptIn == false)
        let one = try #require(entries.first { $0.installationID == Fixture.uuid(1) })
        #expect(one == UserbaseEntry(installationID: Fixture.uuid(1), platform: .android, customID: try CustomID("user-1"),
                                     advertisingID: Fixture.adv(1), pushOptIn: true))
    }
}
