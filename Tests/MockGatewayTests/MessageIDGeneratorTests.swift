import Testing
@testable import MockGateway

@Suite("MessageIDGenerator")
struct MessageIDGeneratorTests {
    @Test("IDs are upper-case version-4 UUIDs and unique")
    func shape() {
        let generator = MessageIDGenerator()
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = generator.next()
            #expect(isUUID(id))
            #expect(id == id.uppercased())
            let bytes = Array(id.utf8)
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "A"), UInt8(ascii: "B")].contains(bytes[19]))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }

    @Test("isUUID accepts either case and refuses other shapes", arguments: [
        ("0e8a6d4c-1f36-4c2e-9b1a-2d3c4e5f6a7b", true), ("0E8A6D4C-1F36-4C2E-9B1A-2D3C4E5F6A7B", true),
        ("0e8a6d4c1f364c2e9b1a2d3c4e5f6a7b", false), ("0e8a6d4c-1f36-4c2e-9b1a-2d3c4e5f6a7", false),
        ("0e8a6d4c-1f36-4c2e-9b1a-2d3c4e5f6a7g", false), ("", false),
    ])
    func validates(text: String, valid: Bool) {
        #expect(isUUID(text) == valid)
    }
}
