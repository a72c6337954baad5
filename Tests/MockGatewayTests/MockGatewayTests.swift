import HTTP2Transport
import Testing
@testable import MockGateway

/// One request that must be rejected with one APNs reason (no authentication involved).
struct ReasonCase: Sendable, CustomTestStringConvertible {
    let reason: APNsReason
    let request: HTTP2ServerRequest
    var testDescription: String { reason.name }
}

let topicHeader = HTTP2HeaderField("apns-topic", Fixtures.topic)

let requestReasonCases: [ReasonCase] = [
    ReasonCase(reason: .methodNotAllowed, request: Fixtures.apnsRequest(method: "GET")),
    ReasonCase(reason: .badPath, request: Fixtures.apnsRequest(path: "/3/devices/\(Fixtures.token)")),
    ReasonCase(reason: .missingDeviceToken, request: Fixtures.apnsRequest(path: "/3/device/")),
    ReasonCase(reason: .badDeviceToken, request: Fixtures.apnsRequest(path: "/3/device/abc")),
    ReasonCase(reason: .missingTopic, request: Fixtures.apnsRequest(headers: [])),
    ReasonCase(reason: .badTopic, request: Fixtures.apnsRequest(headers: [HTTP2HeaderField("apns-topic", "com example")])),
    ReasonCase(reason: .invalidPushType, request: Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-push-type", "shout")])),
    ReasonCase(reason: .badPriority, request: Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-priority", "7")])),
    ReasonCase(reason: .badExpirationDate, request: Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-expiration", "soon")])),
    ReasonCase(reason: .badMessageId, request: Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-id", "not-a-uuid")])),
    ReasonCase(reason: .badCollapseId, request: Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-collapse-id", String(repeating: "c", count: 65))])),
    ReasonCase(reason: .duplicateHeaders, request: Fixtures.apnsRequest(headers: [topicHeader, topicHeader])),
    ReasonCase(reason: .payloadEmpty, request: Fixtures.apnsRequest(body: [])),
    ReasonCase(reason: .payloadTooLarge, request: Fixtures.apnsRequest(body: Array(#"{"aps":{"alert":"\#(String(repeating: "x", count: 4090))"}}"#.utf8))),
    ReasonCase(reason: .badPayload, request: Fixtures.apnsRequest(body: Array(#"{"notaps":{}}"#.utf8))),
]

@Suite("MockGateway (APNs)")
struct MockGatewayTests {
    @Test("each request-level rejection answers Apple's status and reason", arguments: requestReasonCases)
    func rejectsWithReason(_ testCase: ReasonCase) {
        let gateway = Fixtures.noAuthGateway()
        let response = gateway.handle(testCase.request)
        #expect(response.status == testCase.reason.status)
        #expect(response.reason == testCase.reason.name)
        #expect(response.header("apns-id").map(isUUID) == true)
        #expect(response.json?["timestamp"] == nil)
    }

    @Test("a valid request answers 200 and echoes apns-id exactly")
    func acceptsAndEchoesID() {
        let gateway = Fixtures.noAuthGateway()
        let id = "0e8a6d4c-1f36-4c2e-9b1a-2d3c4e5f6a7b"
        let response = gateway.handle(Fixtures.apnsRequest(extraHeaders: [HTTP2HeaderField("apns-id", id)]))
        #expect(response.status == 200)
        #expect(response.header("apns-id") == id)
        #expect(response.body.isEmpty)
    }

    @Test("without apns-id the gateway answers with a new UUID each time")
    func generatesIDs() {
        let gateway = Fixtures.noAuthGateway()
        let first = gateway.handle(Fixtures.apnsRequest()).header("apns-id")
        let second = gateway.handle(Fixtures.apnsRequest()).header("apns-id")
        #expect(first.map(isUUID) == true)
        #expect(second.map(isUUID) == true)
        #expect(first != second)
    }

    @Test("VoIP pushes may carry 5120 bytes, others 4096")
    func voipLimit() {
        let gateway = Fixtures.noAuthGateway()
        let body = Array(#"{"aps":{},"x":"\#(String(repeating: "x", count: 5000))"}"#.utf8)
        let voip = Fixtures.apnsRequest(headers: [HTTP2HeaderField("apns-topic", "com.example.app.voip"), HTTP2HeaderField("apns-push-type", "voip")], body: body)
        #expect(gateway.handle(voip).status == 200)
        #expect(gateway.handle(Fixtures.apnsRequest(body: body)).reason == "PayloadTooLarge")
    }

    @Test("bodies that are not a JSON object with an aps dictionary are refused", arguments: [
        "not json", "[1,2]", #"{"aps":"text"}"#, #"{"aps":{}"#, #"{"aps":{}} trailing"#,
    ])
    func refusesPayloadShapes(_ body: String) {
        let response = Fixtures.noAuthGateway().handle(Fixtures.apnsRequest(body: Array(body.utf8)))
        #expect(response.status == 400)
        #expect(response.reason == "BadPayload")
    }

    @Test("configured topics: unknown bundle is TopicDisallowed, missing push-type suffix is BadTopic")
    func configuredTopics() {
        let gateway = Fixtures.noAuthGateway(allowedTopics: [Fixtures.topic])
        let other = Fixtures.apnsRequest(headers: [HTTP2HeaderField("apns-topic", "com.other.app")])
        #expect(gateway.handle(other).reason == "TopicDisallowed")
        let voipWithoutSuffix = Fixtures.apnsRequest(headers: [topicHeader, HTTP2HeaderField("apns-push-type", "voip")])
        #expect(gateway.handle(voipWithoutSuffix).reason == "BadTopic")
        let voip = Fixtures.apnsRequest(headers: [HTTP2HeaderField("apns-topic", "com.example.app.voip"), HTTP2HeaderField("apns-push-type", "voip")])
        #expect(gateway.handle(voip).status == 200)
        #expect(gateway.handle(Fixtures.apnsRequest()).status == 200)
    }

    @Test("accept-all answers 200 to anything, with an apns-id")
    func acceptAll() {
        let gateway = MockGateway(configuration: MockGatewayConfiguration(mode: .acceptAll))
        let response = gateway.handle(HTTP2ServerRequest(method: "POST", path: "/3/device/zz", body: []))
        #expect(response.status == 200)
        #expect(response.header("apns-id").map(isUUID) == true)
        let fcm = gateway.handle(HTTP2ServerRequest(method: "POST", path: "/v1/projects/p/messages:send"))
        #expect(fcm.status == 200)
        #expect(fcm.json?["name"]?.stringValue != nil)
        #expect(gateway.statistics.snapshot().byStatus == [200: 2])
    }

    @Test("upper-case hex tokens are accepted and matched by scenarios in lower case")
    func upperCaseTokens() {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [Fixtures.token.uppercased()]), answer: .badDeviceToken)])
        let gateway = Fixtures.noAuthGateway(scenario: scenario)
        let response = gateway.handle(Fixtures.apnsRequest(path: "/3/device/\(Fixtures.token.uppercased())"))
        #expect(response.reason == "BadDeviceToken")
    }

    @Test("max concurrent streams: configuration overrides the scenario's")
    func maxStreams() {
        let scenario = Scenario(maxConcurrentStreams: 10)
        #expect(MockGateway(configuration: MockGatewayConfiguration(scenario: scenario)).maxConcurrentStreams == 10)
        #expect(MockGateway(configuration: MockGatewayConfiguration(scenario: scenario, maxConcurrentStreams: 3)).maxConcurrentStreams == 3)
        #expect(MockGateway(configuration: MockGatewayConfiguration()).maxConcurrentStreams == nil)
    }
}
