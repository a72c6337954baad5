import Testing
@testable import MockGateway

@Suite("APNsPayloadShape")
struct APNsPayloadShapeTests {
    @Test("APNs payload shape check", arguments: [
        (#"{"aps":{"alert":"x"}}"#, APNsPayloadShape.valid),
        (#"{"x":1,"aps":{}}"#, .valid),
        (#"{"aps":[]}"#, .missingAps),
        (#"{}"#, .missingAps),
        ("[]", .notObject),
        ("{", .notJSON),
        (#"{"aps":{}}x"#, .notJSON),
        (#"{"aps":{},}"#, .notJSON),
        (#"{"aps":[],"aps":{}}"#, .valid),
        (#"{"aps":{},"aps":1}"#, .missingAps),
    ])
    func payloadShape(text: String, shape: APNsPayloadShape) {
        #expect(APNsPayloadShape.check(Array(text.utf8)) == shape)
    }
}
