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

@Suite struct StringInternerTests {
    @Test func equalStringsShareACodeAcrossGrowth() {
        var interner = StringInterner(seed: 0x5EED_1234_ABCD_0001)
        // Past the first table size (64 slots), so the table is rehashed several times.
        let values = (0..<1_000).map { "Zone/\($0)" } + ["", "é", "America/Sao_Paulo"]
        let codes = values.map { interner.code($0) }
        #expect(Set(codes).count == values.count)
        #expect(!codes.contains(0))
        for (value, code) in zip(values, codes) {
            // Equal text from another String instance (not the same storage) finds the same code.
            #expect(interner.code(String(decoding: Array(value.utf8), as: UTF8.self)) == code)
            #expect(interner[code] == value)
        }
        #expect(interner[0] == nil)
    }
}
