import Testing
import PushModel

@Suite struct CustomIDTests {
    @Test func acceptsUpTo512Bytes() throws {
        #expect(try CustomID("user-42").value == "user-42")
        _ = try CustomID(String(repeating: "é", count: 256))  // 512 bytes
        #expect(throws: ValidationError(field: "custom_id", reason: .tooLong(max: 512))) {
            try CustomID(String(repeating: "é", count: 256) + "a")
        }
        #expect(throws: ValidationError(field: "custom_id", reason: .empty)) { try CustomID("") }
    }
}
