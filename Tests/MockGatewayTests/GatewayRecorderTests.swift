import Foundation
import HTTP2Transport
import PushTestSupport
import PushJSON
import Testing
@testable import MockGateway

@Suite("GatewayRecorder")
struct GatewayRecorderTests {
    @Test("one JSON line per answered request with every field")
    func recordsFields() throws {
        let recorder = GatewayRecorder()
        let clock = ManualClock(milliseconds: 1_793_530_800_123)
        let gateway = Fixtures.noAuthGateway(recorder: recorder, clock: clock.clock)
        let id = "0E8A6D4C-1F36-4C2E-9B1A-2D3C4E5F6A7B"
        _ = gateway.handle(Fixtures.apnsRequest(headers: [
            HTTP2HeaderField("apns-topic", Fixtures.topic), HTTP2HeaderField("apns-push-type", "alert"),
            HTTP2HeaderField("apns-priority", "5"), HTTP2HeaderField("apns-collapse-id", "c1"), HTTP2HeaderField("apns-id", id),
        ]))
        _ = gateway.handle(Fixtures.apnsRequest(path: "/3/device/xyz"))
        let lines = recorder.lines()
        #expect(lines.count == 2)
        let first = try JSONValue.parse(Array(lines[0].utf8))
        #expect(first["time"]?.stringValue == "2026-11-01T11:00:00.123Z")
        #expect(first["api"]?.stringValue == "apns")
        #expect(first["token"]?.stringValue == Fixtures.token)
        #expect(first["topic"]?.stringValue == Fixtures.topic)
        #expect(first["push_type"]?.stringValue == "alert")
        #expect(first["priority"]?.stringValue == "5")
        #expect(first["collapse_id"]?.stringValue == "c1")
        #expect(first["apns_id"]?.stringValue == id)
        #expect(first["payload"]?.stringValue == String(decoding: Fixtures.payload, as: UTF8.self))
        #expect(first["status"]?.numberValue == 200)
        #expect(first["reason"] == .null)
        let second = try JSONValue.parse(Array(lines[1].utf8))
        #expect(second["status"]?.numberValue == 400)
        #expect(second["reason"]?.stringValue == "BadDeviceToken")
        #expect(second["token"]?.stringValue == "xyz")
    }

    @Test("a file recorder writes newline-terminated lines on flush and close")
    func writesFile() throws {
        let path = TestPaths.temporary("record.jsonl")
        let recorder = try GatewayRecorder(path: path)
        let gateway = Fixtures.noAuthGateway(recorder: recorder)
        for _ in 0..<3 { _ = gateway.handle(Fixtures.apnsRequest()) }
        try recorder.flush()
        recorder.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(text.hasSuffix("\n"))
        #expect(lines.count == 3)
        for line in lines {
            #expect(try JSONValue.parse(Array(line.utf8))["status"]?.numberValue == 200)
        }
    }

    @Test("an unwritable path is a typed error naming it")
    func unwritable() {
        #expect {
            try GatewayRecorder(path: "/nonexistent-dir/record.jsonl")
        } throws: { error in
            (error as? GatewayRecorderError)?.path == "/nonexistent-dir/record.jsonl"
        }
    }

    @Test("payload text with quotes and control characters is escaped")
    func escapes() throws {
        let record = GatewayRecord(api: "apns", timeMilliseconds: 0, token: nil, payload: "a\"b\\c\nd\u{1}", status: 200)
        let parsed = try JSONValue.parse(Array(record.jsonLine().utf8))
        #expect(parsed["payload"]?.stringValue == "a\"b\\c\nd\u{1}")
        #expect(parsed["time"]?.stringValue == "1970-01-01T00:00:00.000Z")
    }
}
