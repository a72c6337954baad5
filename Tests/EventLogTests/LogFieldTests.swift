import Testing
@testable import EventLog

@Suite struct LogFieldTests {
    @Test(arguments: [(";", UInt8(0x3B)), ("\"", 0x22), ("\r", 0x0D), ("\n", 0x0A)])
    func rejectsEveryByteThatWouldBreakALine(bad: String, byte: UInt8) {
        #expect(throws: EventLogError.invalidField(field: "custom ID", reason: .forbiddenByte(byte, offset: 3))) {
            try LogField("abc" + bad + "def", field: "custom ID")
        }
    }

    @Test func acceptsEmptyUnicodeAndTheLongestAllowedValue() throws {
        #expect(try LogField("", field: "x").isEmpty)
        #expect(try LogField("utilisateur-é-😀", field: "x").text == "utilisateur-é-😀")
        let longest = String(repeating: "a", count: LogField.maximumByteCount)
        #expect(try LogField(longest, field: "x").text == longest)
        #expect(throws: EventLogError.invalidField(field: "token", reason: .tooLong(byteCount: LogField.maximumByteCount + 1))) {
            try LogField(longest + "a", field: "token")
        }
    }

    @Test func substringsBecomeContiguousNativeStrings() throws {
        let text = "prefix:USER-42"
        let field = try LogField(text.split(separator: ":")[1], field: "custom ID")
        #expect(field.text == "USER-42")
        #expect(field.text.utf8.withContiguousStorageIfAvailable { _ in true } == true)
    }

    @Test func errorsNameTheFieldForOperators() {
        let error = EventLogError.invalidField(field: "group ID", reason: .forbiddenByte(0x3B, offset: 2))
        #expect(error.description.contains("group ID"))
        #expect(error.description.contains("offset 2"))
    }
}

@Suite struct LogFieldWordScanTests {
    /// Every forbidden byte at every offset of fields around the 8-byte word size is found,
    /// at the right offset, by the word-at-a-time scan.
    @Test(arguments: [UInt8(ascii: ";"), UInt8(ascii: "\""), 0x0D, 0x0A])
    func forbiddenBytesAreFoundAtEveryOffset(_ bad: UInt8) throws {
        for length in 1...40 {
            for offset in 0..<length {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                bytes[offset] = bad
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(throws: EventLogError.self) { _ = try LogField(text, field: "f") }
                let verdict = bytes.withUnsafeBufferPointer { LogField.check(buffer: $0) }
                #expect(verdict == .forbiddenByte(bad, offset: offset))
            }
        }
    }

    @Test func cleanFieldsOfAnyLengthPass() throws {
        for length in 0...64 {
            let text = String(repeating: "é1-_x", count: length / 5 + 1).prefix(length)
            #expect((try? LogField(String(text), field: "f")) != nil)
        }
    }
}
