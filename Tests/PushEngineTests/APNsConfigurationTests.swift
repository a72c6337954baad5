import Gateways
import HTTP2Transport
import PushCrypto
import Testing
@testable import PushEngine

@Suite struct APNsConfigurationTests {
    @Test func productionUsesApplesHostWithTLS() {
        let pool = APNsConfiguration(origin: .apnsProduction, authentication: .certificate(certificateFile: "c.pem", privateKeyFile: "k.pem"),
                                     topic: "t", connections: 3, maxConcurrentStreams: 500).poolConfiguration()
        #expect(pool.connections == 3)
        #expect(pool.connection.host == "api.push.apple.com" && pool.connection.port == 443)
        #expect(pool.connection.maxConcurrentStreams == 500)
        // Certificate authentication rides on the TLS connection.
        #expect(pool.connection.tls?.certificateFile == "c.pem" && pool.connection.tls?.privateKeyFile == "k.pem")
    }

    @Test func customOriginCanBeH2cOrTrustACAFile() throws {
        let key = try P256PrivateKey.generate()
        let token = APNsAuthentication.token(APNsTokenCredentials(key: key, keyID: "K", teamID: "T"))
        let h2c = APNsConfiguration(origin: .custom(host: "127.0.0.1", port: 2197, tls: false), authentication: token, topic: "t").poolConfiguration()
        #expect(h2c.connection.tls == nil && h2c.connection.port == 2197)
        let tls = APNsConfiguration(origin: .custom(host: "gw", port: 9, caFile: "ca.pem"), authentication: token, topic: "t").poolConfiguration()
        #expect(tls.connection.tls?.caFile == "ca.pem" && tls.connection.tls?.certificateFile == nil)
        #expect(APNsConfiguration(origin: .apnsSandbox, authentication: token, topic: "t").poolConfiguration().connection.host
                == "api.sandbox.push.apple.com")
    }
}
