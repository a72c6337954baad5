import Foundation
import PushTestSupport
import Testing
@testable import MockGateway

/// `pushengine gateway` as a process: the binary `swift build` puts next to the test runner.
@Suite("pushengine gateway (CLI)", .serialized)
struct GatewayCommandTests {
    /// Starts `pushengine` with `arguments` and returns it with the port its first line announces.
    static func startGateway(_ arguments: [String]) throws -> (process: Process, output: Pipe, announced: String, port: Int?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestProcess.pushengineBinary())
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line announces the port; reading blocks until it is written.
        var firstLine = Data()
        while !firstLine.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            firstLine.append(chunk)
        }
        let announced = String(decoding: firstLine, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return (process, output, announced, announced.split(separator: ":").last.flatMap { Int($0) })
    }

    @Test("prints listening on HOST:PORT, serves, and on SIGTERM prints statistics and exits 0")
    func lifecycle() throws {
        let certificates = try TestCertificates.directory()
        let record = TestPaths.temporary("cli-record.jsonl")
        let (process, output, announced, announcedPort) = try Self.startGateway([
            "gateway", "--port", "0", "--threads", "1", "--no-auth", "--record", record,
            "--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key",
        ])
        defer { if process.isRunning { process.terminate() } }
        #expect(announced.hasPrefix("listening on 127.0.0.1:"))
        let port = try #require(announcedPort)
        let payload = TestPaths.temporary("cli-payload.json")
        try Data(Fixtures.payload).write(to: URL(fileURLWithPath: payload))
        let answer = String(decoding: try TestProcess.run("/usr/bin/nghttp", [
            "-v", "-t", "10", "-d", payload, "-H", ":method: POST", "-H", "apns-topic: \(Fixtures.topic)",
            "https://127.0.0.1:\(port)/3/device/\(Fixtures.token)",
        ]), as: UTF8.self)
        #expect(answer.contains(":status: 200"))
        process.terminate()   // SIGTERM
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let statistics = String(decoding: rest, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        #expect(statistics == #"{"requests":1,"by_status":{"200":1},"by_reason":{}}"#)
        let recorded = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(recorded.count == 1)
    }

    @Test("--client-ca: a client with a certificate from that CA is served, one without is refused")
    func clientCertificateRequired() throws {
        let certificates = try TestCertificates.directory()
        let (process, _, _, announcedPort) = try Self.startGateway([
            "gateway", "--port", "0", "--threads", "1", "--no-auth", "--client-ca", certificates + "/ca.pem",
            "--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server.key",
        ])
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let port = try #require(announcedPort)
        let payload = TestPaths.temporary("cli-ca-payload.json")
        try Data(Fixtures.payload).write(to: URL(fileURLWithPath: payload))
        let url = "https://127.0.0.1:\(port)/3/device/\(Fixtures.token)"
        let common = ["-v", "-t", "10", "-d", payload, "-H", ":method: POST", "-H", "apns-topic: \(Fixtures.topic)"]
        let withCertificate = String(decoding: try TestProcess.run("/usr/bin/nghttp", common + [
            "--cert=\(certificates)/client.pem", "--key=\(certificates)/client.key", url,
        ]), as: UTF8.self)
        #expect(withCertificate.contains(":status: 200"))
        let without = String(decoding: (try? TestProcess.run("/usr/bin/nghttp", common + [url])) ?? Data(), as: UTF8.self)
        #expect(!without.contains(":status: 200"))
    }

    @Test("bad arguments fail with a message, not a crash", arguments: [
        ["gateway", "--plaintext", "--mode", "fast"],
        ["gateway"],
        ["gateway", "--plaintext", "--scenario", "/nonexistent/scenario.json"],
        ["gateway", "--plaintext", "--verify-key", "nocolons"],
        ["gateway", "--plaintext", "--client-ca", "/tmp/ca.pem"],
    ])
    func badArguments(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestProcess.pushengineBinary())
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus != 0)
        #expect(!message.isEmpty)
    }
}
