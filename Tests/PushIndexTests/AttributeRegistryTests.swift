import Testing
@testable import PushIndex
import PushModel

/// Custom attributes through the index: types fixed by the first write, merge, overwrite, delete.
@Suite struct AttributeRegistryTests {
    let age = try! AttributeName("age")
    let tier = try! AttributeName("tier")
    let tags = try! AttributeName("interests")
    let vip = try! AttributeName("vip")
    let score = try! AttributeName("score")
    let birthday = try! AttributeName("birthday")
    let user = try! CustomID("user-1")

    @Test func mergeKeepsOthersAndNullDeletes() throws {
        let index = Fixture.index()
        #expect(try index.setAttributes([age: .int(30), tier: .string("gold"), tags: .tags(["golf", "jazz"])], for: user) == 3)
        try index.setAttributes([tier: .null, vip: .bool(true), score: .double(2.5)], for: user, overwrite: false)
        #expect(index.attributes(for: user) == [age: .int(30), tags: .tags(["golf", "jazz"]), vip: .bool(true), score: .double(2.5)])
    }

    @Test func overwriteReplacesEverything() throws {
        let index = Fixture.index()
        try index.setAttributes([age: .int(30), tier: .string("gold")], for: user)
        try index.setAttributes([birthday: .date(Timestamp(millisecondsSince1970: 123_456))], for: user, overwrite: true)
        #expect(index.attributes(for: user) == [birthday: .date(Timestamp(millisecondsSince1970: 123_456))])
        index.deleteAttributes(for: user)
        #expect(index.attributes(for: user).isEmpty)
        #expect(index.invariantViolations() == [])
    }

    @Test func aTypeOnceWrittenIsEnforcedAndNothingChangesOnError() throws {
        let index = Fixture.index()
        try index.setAttributes([age: .int(30)], for: user)
        let other = try AttributeName("brand_new")
        #expect(throws: ValidationError(field: "values.age", reason: .wrongType(expected: "int", actual: "string"))) {
            try index.setAttributes([age: .string("thirty"), other: .int(1)], for: try CustomID("user-2"))
        }
        #expect(index.attributeType(other) == nil)
        #expect(index.attributes(for: try CustomID("user-2")).isEmpty)
        #expect(index.attributes(for: user) == [age: .int(30)])
        #expect(throws: ValidationError(field: "values.tier", reason: .tooLong(max: 64))) {
            try index.setAttributes([tier: .string(String(repeating: "x", count: 65))], for: user)
        }
        #expect(index.attributeType(tier) == nil)
        #expect(index.invariantViolations() == [])
    }

    @Test func attributesOutliveAndPrecedeInstallations() throws {
        let index = Fixture.index()
        try index.setAttributes([age: .int(40)], for: user)
        try index.upsert(Fixture.installation(1, custom: "user-1"))
        index.deleteInstallation(Fixture.uuid(1))
        #expect(index.attributes(for: user) == [age: .int(40)])
        #expect(index.invariantViolations() == [])
    }

    @Test func manyRewritesCompactTheStorage() throws {
        let index = Fixture.index(shards: 1)
        for round in 0..<300 {
            for n in 0..<40 {
                try index.setAttributes([tier: .string("tier-\(round)-\(n)"), age: .int(Int64(round))], for: try CustomID("u\(n)"))
            }
        }
        #expect(index.attributes(for: try CustomID("u7")) == [tier: .string("tier-299-7"), age: .int(299)])
        let garbage = index.keyShards[0].withLock { $0.attributeGarbage }
        #expect(garbage < 300 * 40 * 2)
        #expect(index.invariantViolations() == [])
    }
}
