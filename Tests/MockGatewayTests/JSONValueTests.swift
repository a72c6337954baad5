import Testing
@testable import MockGateway

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses nested documents with escapes and numbers")
    func parses() throws {
        let value = try JSONValue.parse(Array(#" {"a":[1,-2.5e3,true,false,null],"s":"x\"\u00e9\ud83d\ude00\n","o":{}} "#.utf8))
        #expect(value["a"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
        #expect(value["s"]?.stringValue == "x\"é😀\n")
        #expect(value["o"] == .object([:]))
    }

    @Test("refuses malformed documents", arguments: ["", "{", "[1,]", #"{"a" 1}"#, "01", "1.", "tru", "\"\u{1}\"", "{} {}", String(repeating: "[", count: 100)])
    func refuses(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("APNs payload shape check", arguments: [
        (#"{"aps":{"alert":"x"}}"#, APNsPayloadShape.valid),
        (#"{"x":1,"aps":{}}"#, .valid),
        (#"{"aps":[]}"#, .missingAps),
        (#"{}"#, .missingAps),
        ("[]", .notObject),
        ("{", .notJSON),
        (#"{"aps":{}}x"#, .notJSON),
    ])
    func payloadShape(text: String, shape: APNsPayloadShape) {
        #expect(APNsPayloadShape.check(Array(text.utf8)) == shape)
    }
}
