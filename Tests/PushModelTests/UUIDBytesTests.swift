import Testing
import PushModel

@Suite struct UUIDBytesTests {
    @Test func parsesAndPrintsBackInTheSameCase() throws {
        let lower = "0123abcd-4567-89ef-0123-456789abcdef"
        let parsed = try #require(UUIDBytes.parse(lower))
        #expect(parsed.uuid.hi == 0x0123_ABCD_4567_89EF)
        #expect(parsed.uuid.lo == 0x0123_4567_89AB_CDEF)
        #expect(parsed.letterCase == .lower)
        #expect(parsed.uuid.string(.lower) == lower)
        let upper = try #require(UUIDBytes.parse(lower.uppercased()))
        #expect(upper.uuid == parsed.uuid)
        #expect(upper.uuid.string(.upper) == lower.uppercased())
    }

    @Test(arguments: [
        "", "0123abcd-4567-89ef-0123-456789abcde", "0123abcd-4567-89ef-0123-456789abcdeff",
        "0123abcd_4567-89ef-0123-456789abcdef", "0123abcg-4567-89ef-0123-456789abcdef",
        "0123ABCD-4567-89ef-0123-456789abcdef",  // mixed case could not be printed back
    ])
    func rejectsNonCanonicalText(text: String) {
        #expect(UUIDBytes.parse(text) == nil)
    }
}
