import Foundation
import HTTP2Transport
import PushTestSupport
import Testing
@testable import MockGateway

@Suite("Scenario")
struct ScenarioTests {
    static let dead = String(repeating: "de", count: 32)
    static let bad = String(repeating: "ba", count: 32)

    func request(_ token: String, connection: UInt64 = 1) -> HTTP2ServerRequest {
        Fixtures.apnsRequest(path: "/3/device/\(token)", connectionID: connection)
    }

    @Test("exact token → 410 Unregistered with the configured timestamp")
    func unregisteredExact() {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [Self.dead]), answer: .unregistered(timestampMilliseconds: 1_700_000_000_123))])
        let gateway = Fixtures.noAuthGateway(scenario: scenario)
        let response = gateway.handle(request(Self.dead))
        #expect(response.status == 410)
        #expect(response.reason == "Unregistered")
        #expect(response.json?["timestamp"]?.numberValue == 1_700_000_000_123)
        #expect(gateway.handle(request(Fixtures.token)).status == 200)
    }

    @Test("410 without a configured timestamp carries the gateway clock's time")
    func unregisteredNow() {
        let clock = ManualClock(milliseconds: 1_750_000_000_000)
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [Self.dead]), answer: .unregistered(timestampMilliseconds: nil))])
        let response = Fixtures.noAuthGateway(scenario: scenario, clock: clock.clock).handle(request(Self.dead))
        #expect(response.json?["timestamp"]?.numberValue == 1_750_000_000_000)
    }

    @Test("prefix → 400 BadDeviceToken")
    func prefixBadToken() {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(prefixes: ["baba"]), answer: .badDeviceToken)])
        let response = Fixtures.noAuthGateway(scenario: scenario).handle(request(Self.bad))
        #expect(response.status == 400)
        #expect(response.reason == "BadDeviceToken")
    }

    @Test("DeviceTokenNotForTopic by scenario")
    func notForTopic() {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [Self.bad]), answer: .deviceTokenNotForTopic)])
        let response = Fixtures.noAuthGateway(scenario: scenario).handle(request(Self.bad))
        #expect(response.status == 400)
        #expect(response.reason == "DeviceTokenNotForTopic")
    }

    @Test("transient: status for the first K tries of each token, then 200", arguments: [
        (429, "TooManyRequests"), (500, "InternalServerError"), (503, "ServiceUnavailable"),
    ])
    func transient(status: Int, reason: String) {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .transient(status: status, firstTries: 2))])
        let gateway = Fixtures.noAuthGateway(scenario: scenario)
        for _ in 0..<2 {
            let response = gateway.handle(request(Self.dead))
            #expect(response.status == status)
            #expect(response.reason == reason)
        }
        #expect(gateway.handle(request(Self.dead)).status == 200)
        #expect(gateway.handle(request(Self.bad)).status == status)
    }

    @Test("fraction by token hash is deterministic and close to the fraction")
    func fraction() {
        let match = TokenMatch(fraction: 0.25, salt: "s")
        var hits = 0
        for index in 0..<4000 {
            let token = String(format: "%064x", index)
            let first = match.matches(token)
            #expect(first == match.matches(token))
            if first { hits += 1 }
        }
        #expect(hits > 800 && hits < 1200)
        let other = TokenMatch(fraction: 0.25, salt: "other")
        let differs = (0..<200).contains { match.matches(String(format: "%064x", $0)) != other.matches(String(format: "%064x", $0)) }
        #expect(differs)
        #expect(!TokenMatch(fraction: 0).matches(Self.dead))
        #expect(TokenMatch(fraction: 1).matches(Self.dead))
    }

    @Test("fixed and random latency become the response delay")
    func latency() {
        let fixed = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .fixed(.milliseconds(20)))])
        let response = Fixtures.noAuthGateway(scenario: fixed).handle(request(Self.dead))
        #expect(response.status == 200)
        #expect(response.delay == .milliseconds(20))
        let random = Scenario(rules: [ScenarioRule(match: TokenMatch(), answer: .ok, latency: .uniform(min: .milliseconds(5), max: .milliseconds(10)))])
        let gateway = Fixtures.noAuthGateway(scenario: random)
        for _ in 0..<50 {
            let delay = gateway.handle(request(Self.dead)).delay
            #expect(delay.map { $0 >= .milliseconds(5) && $0 <= .milliseconds(10) } == true)
        }
    }

    @Test("the first matching rule wins")
    func firstMatchWins() {
        let scenario = Scenario(rules: [
            ScenarioRule(match: TokenMatch(tokens: [Self.dead]), answer: .badDeviceToken),
            ScenarioRule(match: TokenMatch(), answer: .unregistered(timestampMilliseconds: 1)),
        ])
        let gateway = Fixtures.noAuthGateway(scenario: scenario)
        #expect(gateway.handle(request(Self.dead)).reason == "BadDeviceToken")
        #expect(gateway.handle(request(Self.bad)).reason == "Unregistered")
    }

    @Test("connection faults: the N-th response of each connection carries the directive", arguments: [
        (ConnectionFaults(goAwayAfterStreams: 3), HTTP2ConnectionDirective.goAway),
        (ConnectionFaults(dropAfterStreams: 3), .drop),
        (ConnectionFaults(stallAfterStreams: 3), .stopReading),
    ])
    func connectionFaults(faults: ConnectionFaults, directive: HTTP2ConnectionDirective) {
        let gateway = Fixtures.noAuthGateway(scenario: Scenario(connectionFaults: faults))
        #expect(gateway.handle(request(Self.dead, connection: 1)).directive == .keepOpen)
        #expect(gateway.handle(request(Self.dead, connection: 1)).directive == .keepOpen)
        #expect(gateway.handle(request(Self.dead, connection: 2)).directive == .keepOpen)
        #expect(gateway.handle(request(Self.dead, connection: 1)).directive == directive)
        #expect(gateway.handle(request(Self.dead, connection: 1)).directive == .keepOpen)
        gateway.connectionClosed(1)
        #expect(gateway.handle(request(Self.dead, connection: 1)).directive == .keepOpen)
    }

    @Test("the JSON file format parses every field")
    func parsesJSON() throws {
        let json = """
        {
          "max_concurrent_streams": 50,
          "connection": {"goaway_after_streams": 1000, "drop_after_streams": 2000, "stall_after_streams": 3000},
          "installation_tokens": {"install-1": "\(Self.dead)"},
          "rules": [
            {"name": "gone", "match": {"tokens": ["\(Self.dead.uppercased())"]}, "answer": "unregistered", "timestamp_ms": 1700000000000},
            {"match": {"prefixes": ["baba"]}, "answer": "bad_device_token"},
            {"match": {"fraction": 0.1, "salt": "x"}, "answer": "transient", "status": 503, "first_tries": 2, "latency_ms": {"min": 1, "max": 5}},
            {"match": {"tokens": ["t"]}, "answer": "device_token_not_for_topic", "latency_ms": 10},
            {"answer": "ok"}
          ]
        }
        """
        let scenario = try Scenario(json: Array(json.utf8))
        #expect(scenario.maxConcurrentStreams == 50)
        #expect(scenario.connectionFaults == ConnectionFaults(goAwayAfterStreams: 1000, dropAfterStreams: 2000, stallAfterStreams: 3000))
        #expect(scenario.installationTokens == ["install-1": Self.dead])
        #expect(scenario.rules.count == 5)
        #expect(scenario.rules[0].answer == .unregistered(timestampMilliseconds: 1_700_000_000_000))
        #expect(scenario.rules[0].match.tokens == [Self.dead])
        #expect(scenario.rules[1].answer == .badDeviceToken)
        #expect(scenario.rules[2].answer == .transient(status: 503, firstTries: 2))
        #expect(scenario.rules[2].latency == .uniform(min: .milliseconds(1), max: .milliseconds(5)))
        #expect(scenario.rules[3].latency == .fixed(.milliseconds(10)))
        #expect(scenario.rules[4].match.matches("anything"))
    }

    @Test("the example scenario under scripts/ parses")
    func exampleParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scenario = try Scenario(contentsOf: root.appendingPathComponent("scripts/example-scenario.json").path)
        #expect(!scenario.rules.isEmpty)
    }

    @Test("bad scenario documents name the field", arguments: [
        (#"{"rules":[{"answer":"explode"}]}"#, "rules[0].answer"),
        (#"{"rules":[{"answer":"transient","status":404}]}"#, "rules[0].status"),
        (#"{"rules":[{"match":{"fraction":2}}]}"#, "rules[0].match.fraction"),
        (#"{"rules":[{"latency_ms":"slow"}]}"#, "rules[0].latency_ms"),
        (#"{"connection":{"goaway_after_streams":0}}"#, "connection.goaway_after_streams"),
        (#"{"colour":"blue"}"#, "colour"),
        (#"{"rules":"#, "document"),
    ])
    func namesBadField(json: String, field: String) {
        #expect {
            try Scenario(json: Array(json.utf8))
        } throws: { error in
            (error as? ScenarioError)?.field == field
        }
    }
}
