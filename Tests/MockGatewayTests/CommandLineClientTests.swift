import Foundation
import HTTP2Transport
import PushTestSupport
import Testing
@testable import MockGateway

/// nghttp2's own clients (Debian nghttp2-client) against the gateway.
@Suite("Command-line HTTP/2 clients (nghttp, h2load)", .serialized)
struct CommandLineClientTests {
    static func start(_ configuration: MockGatewayConfiguration, tls: Bool) throws -> MockGatewayServer {
        let certificates = try TestCertificates.directory()
        return try MockGatewayServer(
            configuration: configuration, port: 0,
            tls: tls ? TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: certificates + "/server.key") : nil,
            threads: 2
        )
    }

    static func payloadFile() throws -> String {
        let path = TestPaths.temporary("payload.json")
        try Data(Fixtures.payload).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("nghttp: 200 with apns-id, and a rejection's JSON body")
    func nghttp() throws {
        let server = try Self.start(MockGatewayConfiguration(requiresAuthentication: false), tls: true)
        defer { server.shutdown(gracePeriod: .seconds(2)) }
        let payload = try Self.payloadFile()
        let base = "https://127.0.0.1:\(server.port)/3/device/"
        let ok = String(decoding: try TestProcess.run("/usr/bin/nghttp", [
            "-v", "-t", "10", "-d", payload, "-H", ":method: POST", "-H", "apns-topic: \(Fixtures.topic)", base + Fixtures.token,
        ]), as: UTF8.self)
        #expect(ok.contains(":status: 200"))
        #expect(ok.contains("apns-id: "))
        let rejected = String(decoding: try TestProcess.run("/usr/bin/nghttp", [
            "-t", "10", "-d", payload, "-H", ":method: POST", "-H", "apns-topic: \(Fixtures.topic)", base + "abc",
        ]), as: UTF8.self)
        #expect(rejected.contains(#"{"reason":"BadDeviceToken"}"#))
        #expect(server.gateway.statistics.snapshot().byStatus == [200: 1, 400: 1])
    }

    @Test("h2load: every request succeeds, over TLS and h2c", arguments: [true, false])
    func h2load(tls: Bool) throws {
        let server = try Self.start(MockGatewayConfiguration(requiresAuthentication: false), tls: tls)
        defer { server.shutdown(gracePeriod: .seconds(2)) }
        let scheme = tls ? "https" : "http"
        let output = String(decoding: try TestProcess.run("/usr/bin/h2load", [
            "-n", "2000", "-c", "2", "-m", "20", "-T", "30s", "-N", "30s", "-d", try Self.payloadFile(),
            "-H", "apns-topic: \(Fixtures.topic)", "\(scheme)://127.0.0.1:\(server.port)/3/device/\(Fixtures.token)",
        ]), as: UTF8.self)
        #expect(output.contains("2000 succeeded, 0 failed, 0 errored"))
        #expect(output.contains("status codes: 2000 2xx"))
        #expect(server.gateway.statistics.snapshot().byStatus == [200: 2000])
    }
}
