import Testing
@testable import EventLog

@Suite struct ByteBufferTests {
    @Test func keepsUndrainedBytesWhenItCompactsOrGrows() {
        let buffer = ByteBuffer(capacity: 8)
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
        let buffer = ByteBuffer(capacity: 4)
        buffer.append("line\n" as StaticString)
        buffer.prepend("head\n")
        #expect(Array(buffer.pending) == Array("head\nline\n".utf8))
    }

    @Test(arguments: [UInt32(0), 7, 10, 99, 4_294_967_295])
    func writesDecimals(value: UInt32) {
        let buffer = ByteBuffer(capacity: 16)
        buffer.appendDecimal(value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }
}
