import Testing
@testable import PushIndex

@Suite struct FingerprintTableTests {
    @Test func keepsDuplicatesAndSurvivesGrowthAndTombstones() {
        var table = FingerprintTable()
        for v in 0..<10_000 as Range<UInt32> { table.insert(v % 97 | 1, v) }
        #expect(table.count == 10_000)
        #expect(table.values(5).count == (0..<10_000 as Range<UInt32>).filter { $0 % 97 | 1 == 5 }.count)
        for v in stride(from: 0 as UInt32, to: 10_000, by: 2) {
            let removed = table.remove(v % 97 | 1, v)
            #expect(removed)
        }
        let removedTwice = table.remove(1, 0)
        #expect(!removedTwice)
        #expect(table.count == 5_000)
        for v in stride(from: 1 as UInt32, to: 10_000, by: 2) {
            #expect(table.first(v % 97 | 1) { $0 == v } == v)
        }
        var n = 0
        table.forEach { _, _ in n += 1 }
        #expect(n == 5_000)
    }
}
