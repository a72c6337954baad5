import Foundation
import PushCrypto
import PushTestSupport
import Testing

@Suite("P256PrivateKey / P256PublicKey (ES256)")
struct P256PrivateKeyTests {
    let message = Array("header.claims".utf8)

    @Test("sign then verify; the raw signature is 64 bytes")
    func signVerify() throws {
        let key = try P256PrivateKey.generate()
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        #expect(try key.publicKey().isValidSignature(signature, for: message))
    }

    @Test("a different key, a different message or a flipped bit fails")
    func wrongKeyFails() throws {
        let key = try P256PrivateKey.generate()
        let other = try P256PrivateKey.generate()
        var signature = try key.signature(for: message)
        #expect(!(try other.publicKey().isValidSignature(signature, for: message)))
        #expect(!(try key.publicKey().isValidSignature(signature, for: message + [0])))
        signature[10] ^= 1
        #expect(!(try key.publicKey().isValidSignature(signature, for: message)))
        #expect(!(try key.publicKey().isValidSignature(Array(signature.prefix(63)), for: message)))
    }

    @Test("PEM round trip: private PKCS#8 and public SPKI")
    func pemRoundTrip() throws {
        let key = try P256PrivateKey.generate()
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try P256PrivateKey(pemRepresentation: pem)
        let publicPEM = try key.publicKey().pemRepresentation()
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let publicKey = try P256PublicKey(pemRepresentation: publicPEM)
        #expect(publicKey.isValidSignature(try reloaded.signature(for: message), for: message))
    }

    @Test("the .p8 key of .certs loads, and verifies a signature made by `openssl dgst -sha256 -sign`")
    func opensslInterop() throws {
        let certs = try TestCertificates.directory()
        let p8 = certs + "/apns-key.p8"
        let key = try P256PrivateKey(pemFile: p8)
        let publicKey = try P256PublicKey(pemFile: certs + "/apns-key.pub.pem")
        let dataPath = TestPaths.temporary("data")
        let signaturePath = TestPaths.temporary("sig.der")
        try Data(message).write(to: URL(fileURLWithPath: dataPath))
        try TestProcess.run("/usr/bin/openssl", ["dgst", "-sha256", "-sign", p8, "-out", signaturePath, dataPath])
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: signaturePath)))
        #expect(publicKey.isValidDERSignature(der, for: message))
        let raw = try ECDSASignature.rawFromDER(der)
        #expect(publicKey.isValidSignature(raw, for: message))
        // And the other direction: our signature verifies with `openssl dgst -verify`.
        try Data(try key.derSignature(for: message)).write(to: URL(fileURLWithPath: signaturePath))
        try TestProcess.run("/usr/bin/openssl", ["dgst", "-sha256", "-verify", certs + "/apns-key.pub.pem", "-signature", signaturePath, dataPath])
    }

    @Test("malformed or mismatched keys are typed errors")
    func badKeys() throws {
        #expect { try P256PrivateKey(pemRepresentation: "garbage") } throws: { ($0 as? CryptoError)?.kind == .invalidKey }
        let rsa = try RSAPrivateKey.generate(bits: 1024).pemRepresentation()
        #expect { try P256PrivateKey(pemRepresentation: rsa) } throws: { ($0 as? CryptoError)?.kind == .wrongKeyType }
        #expect { try P256PrivateKey(pemFile: "/nonexistent.p8") } throws: { ($0 as? CryptoError)?.kind == .unreadableFile }
    }
}
