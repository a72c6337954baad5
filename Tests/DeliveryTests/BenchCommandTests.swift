import Foundation
import Testing

/// `pushengine bench` (sending mode) as a process: the binary `swift build` puts next to the
/// test runner, with the embedded gateway over h2c and a small campaign.
@Suite("pushengine bench (CLI)", .serialized)
struct BenchCommandTests {
    static func binary() throws -> String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("pushengine").path }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "build the pushengine product first (swift build)")
    }

    /// Runs `pushengine bench … --json` and returns the JSON object and the exit status.
    static func bench(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = ["bench"] + arguments + ["--json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (process.terminationStatus, object)
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "pe-bench-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    @Test("every installation gets exactly one event, and the CSV holds one line per event")
    func fanOutToTheEmbeddedGateway() throws {
        let out = Self.temporaryDirectory("plain")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, json) = try Self.bench(["--installations", "3000", "--plaintext", "--out", out, "--threads", "1"])
        #expect(status == 0)
        #expect(json["targeted"] as? Int == 3000)
        #expect(json["sent"] as? Int == 3000)
        #expect(json["push_error"] as? Int == 0)
        #expect(json["csv_lines"] as? Int == 3000)
    }

    @Test("a scenario's Unregistered answers become token_deleted; transient 503s are retried")
    func scenarioFeedbackAtScale() throws {
        let out = Self.temporaryDirectory("scenario")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let scenario = out + "-scenario.json"
        defer { try? FileManager.default.removeItem(atPath: scenario) }
        try Data(#"""
        {"rules":[{"match":{"fraction":0.05,"salt":"gone"},"answer":"unregistered"},
                  {"match":{"fraction":0.05,"salt":"flaky"},"answer":"transient","status":503,"first_tries":1}]}
        """#.utf8).write(to: URL(fileURLWithPath: scenario))
        let (status, json) = try Self.bench(["--installations", "3000", "--plaintext", "--scenario", scenario, "--out", out, "--threads", "1"])
        #expect(status == 0)
        let deleted = json["token_deleted"] as? Int ?? -1
        let sent = json["sent"] as? Int ?? -1
        #expect(deleted > 50 && deleted < 300, "about 5% of 3000 tokens are unregistered, got \(deleted)")
        #expect(sent + deleted == 3000, "transient failures must be retried into push_sent")
        #expect(json["push_error"] as? Int == 0)
        #expect(json["csv_lines"] as? Int == 3000)
    }

    @Test("a HOST:PORT gateway without --ca-file or --plaintext is refused with a clear error")
    func remoteGatewayNeedsATransportChoice() throws {
        let (status, _) = try Self.bench(["--installations", "10", "--gateway", "127.0.0.1:9"])
        #expect(status != 0)
    }
}
