import Foundation
import HTTP2Transport
public import MockGateway
import PushCrypto

/// The in-process mock APNs + FCM gateway (with its OAuth2 `/token`) on one loopback port,
/// over TLS with a self-signed certificate generated at start, as `pushengine bench` runs it:
/// accept-all, or validating with a scenario (failures on purpose). Provider tokens are not
/// checked (the keys are generated per run).
public final class EmbeddedGateway: Sendable {
    /// The running mock.
    public let server: MockGatewayServer
    /// The certificate clients trust (it is its own CA).
    public let caFile: String

    /// The bound port.
    public var port: Int { server.port }

    /// Starts the gateway, writing its certificate under `directory`.
    init(directory: String, scenario: Scenario?, recorder: GatewayRecorder?) throws(ServeError) {
        let files: SelfSignedCertificate.Files
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            files = try SelfSignedCertificate.generate().write(toDirectory: directory)
        } catch {
            throw .startup("embedded gateway: cannot write a certificate under \(directory): \(error)")
        }
        caFile = files.certificateFile
        do {
            server = try MockGatewayServer(
                configuration: MockGatewayConfiguration(mode: scenario == nil ? .acceptAll : .validating,
                                                        requiresAuthentication: false, scenario: scenario, recorder: recorder),
                tls: TLSServerConfiguration(certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile),
                threads: 1)
        } catch {
            throw .startup("embedded gateway: \(error)")
        }
    }

    /// Stops the gateway.
    func shutdown() { server.shutdown(gracePeriod: .seconds(2)) }
}
