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
