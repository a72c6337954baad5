import PushCrypto
import Testing

@Suite("ECDSASignature (DER ↔ raw r‖s)")
struct ECDSASignatureTests {
    @Test("raw → DER → raw round trip, including high-bit and leading-zero coordinates", arguments: [
        [UInt8](repeating: 0xFF, count: 64),
        [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0, count: 31) + [2],
        (0..<64).map { UInt8($0 * 3 & 0xFF) },
    ])
    func roundTrip(raw: [UInt8]) throws {
        let der = try ECDSASignature.derFromRaw(raw)
        #expect(der[0] == 0x30)
        #expect(try ECDSASignature.rawFromDER(der) == raw)
    }

    @Test("minimal DER: positive high-bit integers get a zero byte, leading zeros are dropped")
    func minimalDER() throws {
        let raw = [UInt8](repeating: 0, count: 31) + [0x80] + [UInt8](repeating: 0, count: 31) + [0x01]
        #expect(try ECDSASignature.derFromRaw(raw) == [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01])
    }

    @Test("OpenSSL's DER signatures convert and verify", arguments: 0..<8)
    func fromOpenSSL(_ seed: Int) throws {
        let key = try P256PrivateKey.generate()
        let data = Array("message \(seed)".utf8)
        let der = try key.derSignature(for: data)
        let raw = try ECDSASignature.rawFromDER(der)
        #expect(raw.count == 64)
        #expect(try ECDSASignature.derFromRaw(raw) == der)
        #expect(try key.publicKey().isValidSignature(raw, for: data))
    }

    @Test("malformed input is a typed error", arguments: [
        [UInt8](), [0x30, 0x02, 0x02, 0x00], [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
        [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01],
        [0x30, 0x26, 0x02, 0x21, 0x01] + [UInt8](repeating: 1, count: 32) + [0x02, 0x01, 0x01],
    ])
    func malformed(der: [UInt8]) {
        #expect { try ECDSASignature.rawFromDER(der) } throws: { ($0 as? CryptoError)?.kind == .invalidSignature }
    }

    @Test("raw signatures must be 64 bytes")
    func rawLength() {
        #expect(throws: CryptoError.self) { try ECDSASignature.derFromRaw([UInt8](repeating: 1, count: 63)) }
    }
}
