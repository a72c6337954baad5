import Testing
import Foundation
@testable import HTTP2Transport
import PushTestSupport

/// Our client and server against nghttp2's own tools (nghttpd, nghttp, h2load), started by the
/// test on a free loopback port.
@Suite(.serialized) struct InteropTests {
    @Test(arguments: [false, true])
    func ourClientAgainstNghttpd(tls: Bool) throws {
        let docroot = FileManager.default.temporaryDirectory.appendingPathComponent("pe-nghttpd-\(getpid())")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: docroot) }
        let body = Array("{\"hello\":\"nghttpd\"}".utf8)
        try Data(body).write(to: docroot.appendingPathComponent("probe.json"))
        let port = try freePort()
        let certs = try TestCertificates.directory()
        var args = ["-d", docroot.path, "--address=127.0.0.1"]
        if tls { args += [String(port), certs + "/server.key", certs + "/server.pem"] } else { args += ["--no-tls", String(port)] }
        let nghttpd = try ExternalTool.start("nghttpd", args)
        defer { ExternalTool.stop(nghttpd) }
        #expect(ExternalTool.waitForListener(port: port))

        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: port, tls: tls ? try clientTLS() : nil),
            loop: loop, onCompletions: collector.handler)
        conn.submit((0..<200).map { HTTP2Request(method: "GET", path: $0 % 2 == 0 ? "/probe.json" : "/missing", tag: UInt64($0)) })
        let done = collector.wait(for: 200)
        #expect(done.count == 200)
        for c in done {
            let r = try c.result.get()
            if c.tag % 2 == 0 {
                #expect(r.status == 200)
                #expect(r.body == body)
            } else {
                #expect(r.status == 404)
            }
        }
        conn.close()
    }

    /// Certificate-based APNs auth presents a client certificate: nghttpd -V ends the handshake
    /// when none is offered.
    @Test func clientCertificateIsPresentedWhenConfigured() throws {
        let docroot = FileManager.default.temporaryDirectory.appendingPathComponent("pe-nghttpd-cc-\(getpid())")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: docroot) }
        try Data("ok".utf8).write(to: docroot.appendingPathComponent("probe"))
        let certs = try TestCertificates.directory()
        let port = try freePort()
        let nghttpd = try ExternalTool.start("nghttpd", ["-V", "-d", docroot.path, "--address=127.0.0.1", String(port),
                                                         certs + "/server.key", certs + "/server.pem"])
        defer { ExternalTool.stop(nghttpd) }
        #expect(ExternalTool.waitForListener(port: port))
        let loop = EventLoop()
        defer { loop.shutdown() }
        func status(clientCertificate: Bool) throws -> Result<HTTP2Response, HTTP2TransportError>? {
            let collector = CompletionCollector()
            var tls = try clientTLS()
            if clientCertificate {
                tls.certificateFile = certs + "/client.pem"
                tls.privateKeyFile = certs + "/client.key"
            }
            let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: port, tls: tls),
                                                 loop: loop, onCompletions: collector.handler)
            conn.submit(HTTP2Request(method: "GET", path: "/probe", tag: 1))
            let result = collector.wait(for: 1).first?.result
            conn.close()
            return result
        }
        #expect(try status(clientCertificate: true)?.get().status == 200)
        guard case .failure? = try status(clientCertificate: false) else {
            Issue.record("a server that requires a client certificate must refuse a client without one")
            return
        }
    }

    /// A client certificate without its key is a configuration error, named before connecting.
    @Test func clientCertificateWithoutKeyIsAConfigurationError() throws {
        let loop = EventLoop()
        defer { loop.shutdown() }
        var tls = try clientTLS()
        tls.certificateFile = try TestCertificates.directory() + "/client.pem"
        #expect(throws: HTTP2TransportError.self) {
            _ = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: 1, tls: tls),
                                          loop: loop, onCompletions: { _ in })
        }
    }

    /// nghttpd advertises 64 KiB windows: half-megabyte bodies go out in window-sized pieces,
    /// exercising the data provider's partial reads (a truncated body would hang or fail).
    @Test func largeBodiesRespectThePeersFlowControl() throws {
        let docroot = FileManager.default.temporaryDirectory.appendingPathComponent("pe-nghttpd-fc-\(getpid())")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: docroot) }
        try Data("ok".utf8).write(to: docroot.appendingPathComponent("upload"))
        let port = try freePort()
        let nghttpd = try ExternalTool.start("nghttpd", ["-d", docroot.path, "--address=127.0.0.1", "--no-tls", String(port)])
        defer { ExternalTool.stop(nghttpd) }
        #expect(ExternalTool.waitForListener(port: port))
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(configuration: .init(host: "127.0.0.1", port: port, tls: nil),
                                             loop: loop, onCompletions: collector.handler)
        let body = (0..<(512 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        conn.submit((0..<10).map { HTTP2Request(path: "/upload", body: body, tag: UInt64($0)) })
        let done = collector.wait(for: 10, limit: .seconds(60))
        #expect(done.count == 10)
        for c in done { #expect(try c.result.get().status == 200) }
        conn.close()
    }

    @Test(arguments: [false, true])
    func nghttpAgainstOurServer(tls: Bool) throws {
        let server = try HTTP2Server(configuration: .init(tls: tls ? try serverTLS() : nil, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let url = "\(tls ? "https" : "http")://127.0.0.1:\(server.port)/3/device/abcd"
        let (status, output) = try ExternalTool.run("nghttp", ["-nv", "-H", ":method: POST", "-d", "/dev/null", url])
        #expect(status == 0, "\(output)")
        #expect(output.contains(":status: 200"))
        #expect(output.contains("x-path: /3/device/abcd"))
    }

    @Test(arguments: [false, true])
    func h2loadAgainstOurServer(tls: Bool) throws {
        let server = try HTTP2Server(configuration: .init(tls: tls ? try serverTLS() : nil, threads: 2), handler: EchoHandler())
        defer { server.shutdown() }
        let url = "\(tls ? "https" : "http")://127.0.0.1:\(server.port)/3/device/abcd"
        let (status, output) = try ExternalTool.run("h2load", ["-n", "5000", "-c", "2", "-m", "50", url])
        #expect(status == 0, "\(output)")
        #expect(output.contains("5000 succeeded, 0 failed, 0 errored"), "\(output)")
        #expect(output.contains("5000 2xx"), "\(output)")
        #expect(server.statistics.requestsServed == 5000)
    }
}
