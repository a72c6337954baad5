import PushCrypto
import Testing

@Suite("RSAPrivateKey / RSAPublicKey (RS256)")
struct RSAPrivateKeyTests {
    static let key: RSAPrivateKey = {
        do { return try RSAPrivateKey.generate(bits: 2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()
    let message = Array("header.claims".utf8)

    @Test("sign then verify; signature is the modulus size and deterministic")
    func signVerify() throws {
        let signature = try Self.key.signature(for: message)
        #expect(signature.count == 256)
        #expect(try Self.key.signature(for: message) == signature)
        #expect(try Self.key.publicKey().isValidSignature(signature, for: message))
    }

    @Test("another key or message fails")
    func wrongKey() throws {
        let other = try RSAPrivateKey.generate(bits: 2048)
        let signature = try Self.key.signature(for: message)
        #expect(!(try other.publicKey().isValidSignature(signature, for: message)))
        #expect(!(try Self.key.publicKey().isValidSignature(signature, for: message + [1])))
    }

    @Test("PEM round trip, and EC keys are refused")
    func pem() throws {
        let reloaded = try RSAPrivateKey(pemRepresentation: Self.key.pemRepresentation())
        let publicKey = try RSAPublicKey(pemRepresentation: Self.key.publicKey().pemRepresentation())
        #expect(publicKey.isValidSignature(try reloaded.signature(for: message), for: message))
        let ec = try P256PrivateKey.generate().pemRepresentation()
        #expect { try RSAPrivateKey(pemRepresentation: ec) } throws: { ($0 as? CryptoError)?.kind == .wrongKeyType }
    }
}
