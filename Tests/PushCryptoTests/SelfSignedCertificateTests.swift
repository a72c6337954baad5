import Testing
import Foundation
import HTTP2Transport
import PushCrypto
import PushTestSupport

@Suite struct SelfSignedCertificateTests {
    /// A fresh directory under the system's temporary directory, removed by the caller.
    private func scratchDirectory(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pe-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test func aClientTrustingTheCertificateCompletesARequestOverTLS() throws {
        let directory = try scratchDirectory("selfsigned")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let identity = try SelfSignedCertificate.generate()
        #expect(identity.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(identity.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let files = try identity.write(toDirectory: directory)
        let tls = TLSServerConfiguration(certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile)
        let keyMode = try FileManager.default.attributesOfItem(atPath: tls.privateKeyFile)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)

        let server = try HTTP2Server(configuration: .init(tls: tls, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: TLSClientConfiguration(caFile: tls.certificateFile)),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit(HTTP2Request(path: "/x", tag: 7))
        let done = collector.wait(for: 1)
        guard case .success(let response)? = done.first?.result else {
            Issue.record("expected a response, got \(String(describing: done.first?.result)), close: \(String(describing: conn.closeError))")
            return
        }
        #expect(response.status == 200)
        conn.close()
    }

    @Test func aClientTrustingAnotherCAIsRefused() throws {
        let directory = try scratchDirectory("selfsigned-other")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try SelfSignedCertificate.generate().write(toDirectory: directory)
        let tls = TLSServerConfiguration(certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile)
        let server = try HTTP2Server(configuration: .init(tls: tls, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        // Another self-signed certificate for the same names: a different key, so not trusted.
        let otherDirectory = try scratchDirectory("selfsigned-trust")
        defer { try? FileManager.default.removeItem(atPath: otherDirectory) }
        let other = try SelfSignedCertificate.generate().write(toDirectory: otherDirectory)
        let conn = try HTTP2ClientConnection(
            configuration: .init(host: "127.0.0.1", port: server.port, tls: TLSClientConfiguration(caFile: other.certificateFile)),
            loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        conn.submit(HTTP2Request(path: "/x", tag: 1))
        let done = collector.wait(for: 1)
        collector.waitForClose()
        if case .success = done.first?.result { Issue.record("a certificate from another key must not be trusted") }
        guard case .tlsHandshakeFailed? = conn.closeError else {
            Issue.record("expected a TLS handshake failure, got \(String(describing: conn.closeError))")
            return
        }
    }

    @Test func noSubjectAlternativeNameIsATypedError() {
        #expect(throws: CryptoError.self) { try SelfSignedCertificate.generate(subjectAltNames: []) }
        #expect(throws: CryptoError.self) { try SelfSignedCertificate.generate(subjectAltNames: ["NOT-A-TYPE:x"]) }
    }

    @Test func anExistingWorldReadableKeyFileIsMadePrivate() throws {
        let directory = try scratchDirectory("selfsigned-mode")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(FileManager.default.createFile(atPath: directory + "/private-key.pem", contents: Data("old".utf8),
                                                attributes: [.posixPermissions: 0o644]))
        let tls = try SelfSignedCertificate.generate().write(toDirectory: directory)
        #expect(try FileManager.default.attributesOfItem(atPath: tls.privateKeyFile)[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOfFile: tls.privateKeyFile, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func anUnwritableDirectoryIsATypedError() throws {
        let identity = try SelfSignedCertificate.generate()
        #expect(throws: CryptoError.self) { try identity.write(toDirectory: "/nonexistent-\(getpid())/certs") }
    }
}
