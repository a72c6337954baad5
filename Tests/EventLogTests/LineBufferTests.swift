import Testing
import PushModel
@testable import EventLog

@Suite struct LineBufferTests {
    @Test func keepsUndrainedBytesWhenItCompactsOrGrows() {
        let buffer = LineBuffer(capacity: 8)
        buffer.append("abcdef" as StaticString)
        buffer.drained = 4 // "abcd" reached the file
        buffer.reserve(5) // compacts: "ef" moves to the front
        #expect(buffer.capacity == 8)
        buffer.append("ghi" as StaticString)
        #expect(Array(buffer.pending) == Array("efghi".utf8))
        buffer.reserve(100) // grows (disk refusing writes)
        buffer.append("jkl" as StaticString)
        #expect(Array(buffer.pending) == Array("efghijkl".utf8))
        buffer.drained = buffer.count
        buffer.resetIfDrained()
        #expect(buffer.count == 0)
    }

    @Test func prependsTheHeaderBeforeUndrainedLines() {
        let buffer = LineBuffer(capacity: 4)
        buffer.append("line\n" as StaticString)
        buffer.prepend("head\n")
        #expect(Array(buffer.pending) == Array("head\nline\n".utf8))
    }

    @Test(arguments: [UInt32(0), 7, 10, 99, 4_294_967_295])
    func writesDecimals(value: UInt32) {
        let buffer = LineBuffer(capacity: 16)
        buffer.appendDecimal(value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }

    @Test func writesUUIDFieldsAsTheCanonicalText() {
        var g = SystemRandomNumberGenerator()
        let samples = [UUIDBytes(hi: 0, lo: 0), UUIDBytes(hi: .max, lo: .max), UUIDBytes(hi: 0x0123_4567_89AB_CDEF, lo: 0xFEDC_BA98_7654_3210)]
            + (0..<200).map { _ in UUIDBytes(hi: g.next(), lo: g.next()) }
        for u in samples {
            for letterCase in [UUIDBytes.LetterCase.lower, .upper] {
                let buffer = LineBuffer(capacity: 64)
                buffer.append("a;" as StaticString)
                buffer.append(LogField(uuid: u, letterCase: letterCase))
                buffer.append(";" as StaticString)
                #expect(String(decoding: buffer.bytes, as: UTF8.self) == "a;\(u.string(letterCase));")
            }
        }
    }

    @Test func aUUIDFieldEqualsTheSameText() throws {
        let u = UUIDBytes(hi: 0x6F96_19FF_8B86_D011, lo: 0xB42D_00C0_4FC9_64FF)
        let field = LogField(uuid: u, letterCase: .upper)
        #expect(field.text == "6F9619FF-8B86-D011-B42D-00C04FC964FF")
        #expect(field == (try LogField("6F9619FF-8B86-D011-B42D-00C04FC964FF", field: "id")))
        #expect(field != LogField(uuid: u, letterCase: .lower))
        #expect(Set([field, try LogField(field.text, field: "id")]).count == 1)
        #expect(!field.isEmpty)
    }
}
