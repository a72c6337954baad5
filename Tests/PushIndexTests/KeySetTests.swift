import Testing
@testable import PushIndex
import PushModel

@Suite struct KeySetTests {
    @Test func insertsRemovesAndRebuildsAfterManyRemovals() {
        var set = KeySet(hasher: KeyHasher(seed: 7))
        func key(_ n: Int) -> [UInt8] { Array("key-\(n)".utf8) }
        for n in 0..<5_000 {
            let inserted = key(n).withUnsafeBytes { set.insert($0) }
            #expect(inserted)
        }
        let again = key(3).withUnsafeBytes { set.insert($0) }
        #expect(!again)
        for n in 0..<4_000 {
            let removed = key(n).withUnsafeBytes { set.remove($0) }
            #expect(removed)
        }
        let removedTwice = key(1).withUnsafeBytes { set.remove($0) }
        #expect(!removedTwice)
        #expect(set.count == 1_000)
        #expect(key(4_500).withUnsafeBytes { set.contains($0) })
        #expect(!key(10).withUnsafeBytes { set.contains($0) })
        var listed = 0
        set.forEach { _ in listed += 1 }
        #expect(listed == 1_000)
    }

    @Test func audienceKindsAreChecked() throws {
        let index = Fixture.index()
        let name = try AudienceName("a")
        #expect(throws: ValidationError(field: "ids[1]", reason: .wrongType(expected: "custom_ids", actual: "advertising_ids"))) {
            try index.replaceAudience(name, kind: .customIDs, members: [.customID(try CustomID("u")), .advertisingID(Fixture.adv(1))])
        }
        #expect(index.audience(name) == nil)
        try index.replaceAudience(name, kind: .customIDs, members: [.customID(try CustomID("u"))])
        #expect(throws: ValidationError.self) {
            try index.updateAudience(name, kind: .advertisingIDs, add: [.advertisingID(Fixture.adv(1))])
        }
        #expect(index.audience(name, contains: .customID(try CustomID("u"))))
        index.deleteAudience(name)
        #expect(index.audiences().isEmpty)
    }
}
