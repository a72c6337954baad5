import PushCrypto
import Testing

@Suite("Base64URL")
struct Base64URLTests {
    @Test("RFC 4648 vectors, unpadded, URL alphabet", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("uses - and _ instead of + and /; accepts padding")
    func alphabet() throws {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(try Base64URL.decode("-_8=") == [0xFB, 0xFF])
    }

    @Test("every byte value round-trips")
    func roundTrip() throws {
        let bytes = (0...255).map(UInt8.init)
        #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }

    @Test("invalid text is a typed error", arguments: ["a", "ab+c", "ab/c", "a b"])
    func invalid(_ text: String) {
        #expect { try Base64URL.decode(text) } throws: { ($0 as? CryptoError)?.kind == .invalidBase64URL }
    }
}
