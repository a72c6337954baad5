import PushCrypto
import Testing

@Suite("JWSCompact")
struct JWSCompactTests {
    @Test("sign, serialise, parse and verify (ES256)")
    func es256() throws {
        let key = try P256PrivateKey.generate()
        let header = Array(#"{"alg":"ES256","kid":"K"}"#.utf8)
        let claims = Array(#"{"iss":"T","iat":1}"#.utf8)
        let jws = try JWSCompact.sign(header: header, claims: claims, signer: ES256Signer(key: key))
        #expect(jws.compact.split(separator: ".").count == 3)
        let parsed = try JWSCompact(parsing: jws.compact)
        #expect(parsed.header == header)
        #expect(parsed.claims == claims)
        #expect(parsed.signature.count == 64)
        #expect(parsed.verify(with: ES256Verifier(key: try key.publicKey())))
        #expect(!parsed.verify(with: ES256Verifier(key: try P256PrivateKey.generate().publicKey())))
    }

    @Test("tampered claims fail verification (RS256)")
    func tampered() throws {
        let key = try RSAPrivateKey.generate(bits: 2048)
        let jws = try JWSCompact.sign(header: Array(#"{"alg":"RS256"}"#.utf8), claims: Array(#"{"a":1}"#.utf8), signer: RS256Signer(key: key))
        let parts = jws.compact.split(separator: ".")
        let forged = "\(parts[0]).\(Base64URL.encode(Array(#"{"a":2}"#.utf8))).\(parts[2])"
        #expect(try JWSCompact(parsing: jws.compact).verify(with: RS256Verifier(key: key.publicKey())))
        #expect(!(try JWSCompact(parsing: forged).verify(with: RS256Verifier(key: key.publicKey()))))
    }

    @Test("malformed compact strings are typed errors", arguments: ["", "a.b", "a.b.c.d", "a..c", "a.b.c!"])
    func malformed(_ text: String) {
        #expect(throws: CryptoError.self) { try JWSCompact(parsing: text) }
    }
}
