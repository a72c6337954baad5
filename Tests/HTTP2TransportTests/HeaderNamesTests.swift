import Testing
@testable import HTTP2Transport

@Suite struct HeaderNamesTests {
    @Test(arguments: HeaderNames.known)
    func knownBytesGiveTheInternedString(_ name: String) {
        let s = Array(name.utf8).withUnsafeBytes { HeaderNames.string($0) }
        #expect(s == name)
    }

    @Test(arguments: ["apns-topiC", "x-custom", "", "com.example.app", String(repeating: "a", count: 300), "ПРИВЕТ"])
    func otherBytesGiveAnEqualNewString(_ text: String) {
        let s = Array(text.utf8).withUnsafeBytes { HeaderNames.string($0) }
        #expect(s == text)
    }
}
