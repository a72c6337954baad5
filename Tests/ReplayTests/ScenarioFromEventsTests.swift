import Foundation
import HTTP2Transport
import MockGateway
import PushJSON
import Replay
import Testing

@Suite("Scenario from events")
struct ScenarioFromEventsTests {
    static let dead = String(repeating: "de", count: 32)
    static let bad = String(repeating: "ba", count: 32)
    static let other = String(repeating: "ab", count: 32)

    func request(_ token: String) -> HTTP2ServerRequest {
        HTTP2ServerRequest(
            method: "POST", path: "/3/device/\(token)", authority: "127.0.0.1", scheme: "https",
            headers: [HTTP2HeaderField("apns-topic", "com.example.app"), HTTP2HeaderField("apns-push-type", "alert")],
            body: Array(#"{"aps":{"alert":"hello"}}"#.utf8), connectionID: 1
        )
    }

    @Test("from events: token_deleted installations answer 410 with the event time")
    func fromEvents() throws {
        let csv = """
        CUSTOM_1;install-1;2026-11-01T10:00:00;push_sent;campaign;CAMP;
        CUSTOM_1;install-1;2026-11-01T11:00:00;token_deleted;;;
        ;install-2;2026-11-01T12:30:00.250Z;token_deleted;;;
        ;install-3;2026-11-01T12:30:00;token_deleted;;;
        ;install-4;2026-11-01T12:30:00;push_opened;;;
        """
        var scenario = Scenario()
        let summary = try scenario.addTokenDeletedRules(
            eventsCSV: Array(csv.utf8), source: "events.csv",
            installationTokens: ["install-1": Self.dead, "install-2": Self.bad, "install-4": Self.other]
        )
        #expect(summary.tokenDeletedEvents == 3)
        #expect(summary.tokens == 2)
        #expect(summary.unmappedInstallations == ["install-3"])
        let gateway = MockGateway(configuration: MockGatewayConfiguration(requiresAuthentication: false, scenario: scenario))
        let dead = gateway.handle(request(Self.dead))
        #expect(dead.status == 410)
        #expect(dead.json?["timestamp"]?.numberValue == 1_793_530_800_000)
        #expect(gateway.handle(request(Self.bad)).json?["timestamp"]?.numberValue == 1_793_536_200_250)
        #expect(gateway.handle(request(Self.other)).status == 200)
    }

    @Test("from events: no mapping at all, or a malformed line, is a named error")
    func fromEventsErrors() {
        var scenario = Scenario()
        #expect(throws: ScenarioError.self) {
            try scenario.addTokenDeletedRules(eventsCSV: Array(";i;2026-11-01T11:00:00;token_deleted;;;".utf8), source: "e.csv", installationTokens: [:])
        }
        #expect {
            try scenario.addTokenDeletedRules(eventsCSV: Array("a;b;c;d\n;i;yesterday;token_deleted;;;".utf8), source: "e.csv", installationTokens: ["i": "t"])
        } throws: { error in
            (error as? ScenarioError)?.field == "e.csv:2"
        }
    }

    @Test("installation token files: ';' or ',' pairs, comments skipped")
    func installationTokenFile() throws {
        let path = NSTemporaryDirectory() + "pushengine-replay-tests-\(getpid())-\(UUID().uuidString)-tokens.csv"
        try "# installation;token\ninstall-1;\(Self.dead)\ninstall-2, \(Self.bad)\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Scenario.installationTokens(contentsOf: path) == ["install-1": Self.dead, "install-2": Self.bad])
        try "just-one-field\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ScenarioError.self) { try Scenario.installationTokens(contentsOf: path) }
    }
}

extension HTTP2ServerResponse {
    /// The body as a JSON value.
    var json: JSONValue? { try? JSONValue.parse(body) }
}
