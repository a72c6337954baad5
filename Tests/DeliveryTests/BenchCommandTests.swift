import Foundation
import PushIndex
import PushModel
import PushTestSupport
import Testing

/// `pushengine bench` (sending mode) as a process: the binary `swift build` puts next to the
/// test runner, with the embedded gateway over h2c and a small campaign.
@Suite("pushengine bench (CLI)", .serialized)
struct BenchCommandTests {
    /// What one `pushengine bench` process printed.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// stdout parsed as one JSON object (empty when it is not one).
        var json: [String: Any]
    }

    /// Runs `pushengine bench …` with stdout and stderr on pipes (not terminals).
    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestProcess.pushengineBinary())
        process.arguments = ["bench"] + arguments
        let output = Pipe()
        // stderr goes to a file, so neither stream can fill a pipe and block the child.
        let errorPath = NSTemporaryDirectory() + "pe-bench-stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(FileManager.default.createFile(atPath: errorPath, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errors.close()
        let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Run(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                   stderr: String(decoding: errorData, as: UTF8.self), json: object)
    }

    /// Runs `pushengine bench … --json` and returns the JSON object and the exit status.
    static func bench(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let r = try run(arguments + ["--json"])
        return (r.status, r.json)
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "pe-bench-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    /// What the generator makes for `n` installations: (iOS, Android, opted-in iOS, opted-in Android).
    static func population(_ n: Int, seed: UInt64, iosShare: Double, optInShare: Double) -> (Int, Int, Int, Int) {
        let generator = InstallationGenerator(seed: seed, profile: .init(androidShare: 1 - iosShare, optInShare: optInShare))
        var counts = (0, 0, 0, 0)
        for i in 0..<n {
            let installation = generator.installation(i)
            if installation.platform == .iOS {
                counts.0 += 1
                if installation.pushOptIn { counts.2 += 1 }
            } else {
                counts.1 += 1
                if installation.pushOptIn { counts.3 += 1 }
            }
        }
        return counts
    }

    @Test("every installation gets exactly one event, and the CSV holds one line per event")
    func fanOutToTheEmbeddedGateway() throws {
        let out = Self.temporaryDirectory("plain")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, json) = try Self.bench(["--installations", "3000", "--ios-share", "1", "--optin-share", "1",
                                             "--plaintext", "--out", out, "--threads", "1"])
        #expect(status == 0)
        #expect(json["targeted"] as? Int == 3000)
        #expect(json["sent"] as? Int == 3000)
        #expect(json["push_error"] as? Int == 0)
        #expect(json["csv_lines"] as? Int == 3000)
        let platforms = json["platforms"] as? [String: [String: Any]]
        #expect(platforms?["android"]?["targeted"] as? Int == 0, "an all-iOS population sends nothing to FCM")
    }

    @Test("the iOS and opt-in shares give the generator's exact counts; APNs and FCM both get their opted-in installations")
    func mixedPopulationReachesBothPlatforms() throws {
        let out = Self.temporaryDirectory("mix")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let n = 2000
        let (iOS, android, iOSIn, androidIn) = Self.population(n, seed: 7, iosShare: 0.6, optInShare: 0.8)
        // The seed gives exact counts; the shares are honoured within sampling noise.
        #expect(iOS > 1100 && iOS < 1300 && iOS + android == n)
        #expect(iOSIn + androidIn > 1500 && iOSIn + androidIn < 1700)
        let (status, json) = try Self.bench(["--installations", "\(n)", "--seed", "7", "--ios-share", "0.6", "--optin-share", "0.8",
                                             "--plaintext", "--out", out, "--threads", "1"])
        #expect(status == 0)
        #expect(json["installations"] as? Int == n)
        #expect(json["opted_in"] as? Int == iOSIn + androidIn)
        #expect(json["targeted"] as? Int == iOSIn + androidIn, "the campaign goes to every opted-in installation, no one else")
        #expect(json["sent"] as? Int == iOSIn + androidIn)
        let platforms = try #require(json["platforms"] as? [String: [String: Any]])
        #expect(platforms["ios"]?["installations"] as? Int == iOS)
        #expect(platforms["ios"]?["sent"] as? Int == iOSIn)
        #expect(platforms["android"]?["installations"] as? Int == android)
        #expect(platforms["android"]?["sent"] as? Int == androidIn)
        #expect(json["csv_lines"] as? Int == iOSIn + androidIn)
        #expect((json["csv_files"] as? Int ?? 0) >= 2, "one event file per platform")
    }

    @Test("--json prints one object with every summary key and sane values, and nothing else on stdout")
    func jsonKeys() throws {
        let out = Self.temporaryDirectory("json")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Self.run(["--installations", "2000", "--plaintext", "--out", out, "--threads", "1", "--json"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{"))
        #expect(r.stdout.split(separator: "\n").count == 1)
        let json = r.json
        for key in ["installations", "targeted", "sent", "token_deleted", "push_error", "retried", "seconds", "rate",
                    "latency_ms", "peak_rss_bytes", "csv_lines", "index_build_seconds", "bytes_per_installation"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let targeted = json["targeted"] as? Int ?? 0
        #expect(targeted > 1400 && targeted < 1800, "about 80% of 2000 opted in")
        #expect((json["seconds"] as? Double ?? 0) > 0)
        #expect((json["rate"] as? Int ?? 0) > 0)
        #expect((json["peak_rss_bytes"] as? Int ?? 0) > 1_000_000)
        #expect((json["bytes_per_installation"] as? Double ?? 0) > 0)
        #expect((json["index_build_seconds"] as? Double ?? -1) >= 0)
        #expect(json["retried"] as? Int == 0)
        let latency = try #require(json["latency_ms"] as? [String: Any])
        let p50 = try #require(latency["p50"] as? Double), p95 = try #require(latency["p95"] as? Double)
        let p99 = try #require(latency["p99"] as? Double), max = try #require(latency["max"] as? Double)
        let min = try #require(latency["min"] as? Double)
        #expect(min > 0 && min <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max, "ordered percentiles, got \(latency)")
        #expect(latency["count"] as? Int == targeted, "one answered final attempt per notification")
        let platforms = try #require(json["platforms"] as? [String: [String: Any]])
        let iOSCount = (platforms["ios"]?["latency_ms"] as? [String: Any])?["count"] as? Int ?? -1
        let androidCount = (platforms["android"]?["latency_ms"] as? [String: Any])?["count"] as? Int ?? -1
        #expect(iOSCount > 0 && androidCount > 0 && iOSCount + androidCount == targeted)
    }

    @Test("with no TLS flags the embedded gateway serves TLS with a generated certificate, removed afterwards")
    func embeddedTLSByDefault() throws {
        let out = Self.temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("pushengine-bench-") }
        let (status, json) = try Self.bench(["--installations", "2000", "--out", out, "--threads", "1"])
        #expect(status == 0)
        #expect(json["gateway"] as? String == "embedded TLS")
        let targeted = json["targeted"] as? Int ?? -1
        #expect(targeted > 0 && json["sent"] as? Int == targeted)
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("pushengine-bench-") }
        #expect(after.subtracting(before).isEmpty, "the generated certificate's directory is removed")
    }

    @Test("without a terminal, plain progress lines go to stderr, the last one with every notification final")
    func progressLinesWithoutATerminal() throws {
        let out = Self.temporaryDirectory("progress")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Self.run(["--installations", "2000", "--ios-share", "1", "--optin-share", "1", "--plaintext", "--out", out,
                              "--threads", "1"])
        #expect(r.status == 0)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: ") }
        #expect(lines.contains { $0.hasPrefix("progress: index 2000/2000 installations") })
        #expect(lines.last?.hasPrefix("progress: 2000/2000 notifications final (2000 sent") == true)
        #expect(!r.stderr.contains("\r") && !r.stdout.contains("\u{1B}["), "no bar redraws off a terminal")
        #expect(r.stdout.contains("finished in ") && r.stdout.contains("notifications/s"))
        #expect(r.stdout.contains("2000 targeted, 2000 sent, 0 token_deleted, 0 push_error, 0 retried"))
        #expect(r.stdout.contains("latency (ms):") && r.stdout.contains("(2000 answers)"))
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
        let (status, json) = try Self.bench(["--installations", "3000", "--ios-share", "1", "--optin-share", "1", "--plaintext",
                                             "--scenario", scenario, "--out", out, "--threads", "1"])
        #expect(status == 0)
        let deleted = json["token_deleted"] as? Int ?? -1
        let sent = json["sent"] as? Int ?? -1
        let retried = json["retried"] as? Int ?? -1
        #expect(deleted > 50 && deleted < 300, "about 5% of 3000 tokens are unregistered, got \(deleted)")
        #expect(sent + deleted == 3000, "transient failures must be retried into push_sent")
        #expect(retried > 50 && retried < 300, "about 5% of 3000 needed a second request, got \(retried)")
        #expect(json["push_error"] as? Int == 0)
        #expect(json["csv_lines"] as? Int == 3000)
    }

    @Test("bad shares and a HOST:PORT gateway without --ca-file or --plaintext are refused with a clear error")
    func badArgumentsAreRefused() throws {
        let remote = try Self.run(["--installations", "10", "--gateway", "127.0.0.1:9"])
        #expect(remote.status != 0)
        #expect(remote.stderr.contains("--ca-file"))
        let share = try Self.run(["--installations", "10", "--plaintext", "--ios-share", "1.5"])
        #expect(share.status != 0)
        #expect(share.stderr.contains("--ios-share"))
        let optIn = try Self.run(["--installations", "10", "--plaintext", "--optin-share", "-0.1"])
        #expect(optIn.status != 0)
        #expect(optIn.stderr.contains("--optin-share"))
    }
}
