import Foundation
import HTTP2Transport
import PushCrypto
import PushTestSupport
import Testing

/// Errors about key files name the file, never the directory holding the secret.
struct KeyFileRedactionTests {
    static let secretDirectory = "/srv/very-secret-keys-\(getpid())"

    @Test func aMissingKeyFileIsNamedWithoutItsDirectory() {
        for attempt in [{ _ = try P256PrivateKey(pemFile: Self.secretDirectory + "/AuthKey_ABC123.p8") },
                        { _ = try RSAPrivateKey(pemFile: Self.secretDirectory + "/service.pem") }] {
            do {
                try attempt()
                Issue.record("a missing key file was read")
            } catch {
                let text = "\(error)"
                #expect(!text.contains(Self.secretDirectory), "\(text)")
                #expect(text.contains("AuthKey_ABC123.p8") || text.contains("service.pem"), "\(text)")
            }
        }
    }

    @Test func aMalformedKeyFileIsNamedWithoutItsDirectory() throws {
        let directory = TestPaths.temporary("redaction")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "not a key".write(toFile: directory + "/AuthKey.p8", atomically: true, encoding: .utf8)
        #expect {
            _ = try P256PrivateKey(pemFile: directory + "/AuthKey.p8")
        } throws: { error in
            "\(error)".contains("AuthKey.p8") && !"\(error)".contains(directory)
        }
    }

    @Test func aTLSServerWhoseKeyCannotBeLoadedNamesTheFileOnly() throws {
        let certificates = try TestCertificates.directory()
        let key = Self.secretDirectory + "/server.key"
        do {
            _ = try HTTP2Server(configuration: .init(tls: TLSServerConfiguration(certificateFile: certificates + "/server.pem", privateKeyFile: key), threads: 1),
                                handler: EchoHandler())
            Issue.record("a server started without its key")
        } catch {
            #expect(!"\(error)".contains(Self.secretDirectory), "\(error)")
            #expect("\(error)".contains("server.key"), "\(error)")
        }
    }
}
