/// Converts P-256 ECDSA signatures between OpenSSL's DER `ECDSA-Sig-Value`
/// (`SEQUENCE { INTEGER r, INTEGER s }`) and the raw 64-byte `r‖s` that JWS (ES256) uses.
public enum ECDSASignature {
    /// Length of one coordinate (r or s) for P-256.
    public static let coordinateLength = 32

    /// DER → raw `r‖s`, each left-padded to 32 bytes.
    ///
    /// - Throws: `CryptoError.invalidSignature` when the DER is not exactly one SEQUENCE of two
    ///   non-negative INTEGERs that each fit in 32 bytes.
    public static func rawFromDER(_ der: [UInt8]) throws(CryptoError) -> [UInt8] {
        var reader = DERReader(bytes: der)
        let sequence = try reader.read(tag: 0x30, what: "SEQUENCE")
        guard reader.isAtEnd else {
            throw CryptoError(.invalidSignature, "DER signature: \(der.count - reader.offset) trailing bytes")
        }
        var inner = DERReader(bytes: Array(sequence))
        let r = try inner.read(tag: 0x02, what: "INTEGER r")
        let s = try inner.read(tag: 0x02, what: "INTEGER s")
        guard inner.isAtEnd else {
            throw CryptoError(.invalidSignature, "DER signature: extra data after s")
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(2 * coordinateLength)
        raw.append(contentsOf: try padded(r, name: "r"))
        raw.append(contentsOf: try padded(s, name: "s"))
        return raw
    }

    /// Raw `r‖s` (64 bytes) → minimal DER.
    ///
    /// - Throws: `CryptoError.invalidSignature` when `raw` is not 64 bytes.
    public static func derFromRaw(_ raw: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard raw.count == 2 * coordinateLength else {
            throw CryptoError(.invalidSignature, "raw ES256 signature must be 64 bytes, got \(raw.count)")
        }
        let r = integer(raw[0..<coordinateLength])
        let s = integer(raw[coordinateLength...])
        let body = r + s
        // At most 2 × (2 + 33) = 70 bytes: the short length form always fits.
        return [0x30, UInt8(body.count)] + body
    }

    private static func padded(_ integer: ArraySlice<UInt8>, name: String) throws(CryptoError) -> [UInt8] {
        guard let first = integer.first else {
            throw CryptoError(.invalidSignature, "DER signature: empty INTEGER \(name)")
        }
        guard first & 0x80 == 0 else {
            throw CryptoError(.invalidSignature, "DER signature: negative INTEGER \(name)")
        }
        let magnitude = integer.drop { $0 == 0 }
        guard magnitude.count <= coordinateLength else {
            throw CryptoError(.invalidSignature, "DER signature: \(name) is \(magnitude.count) bytes, more than 32")
        }
        return [UInt8](repeating: 0, count: coordinateLength - magnitude.count) + magnitude
    }

    private static func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var magnitude = Array(bytes.drop { $0 == 0 })
        if magnitude.isEmpty { magnitude = [0] }
        if magnitude[0] & 0x80 != 0 { magnitude.insert(0, at: 0) }
        return [0x02, UInt8(magnitude.count)] + magnitude
    }
}

/// Reads DER tag-length-value items (definite lengths up to two length bytes).
private struct DERReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func read(tag: UInt8, what: String) throws(CryptoError) -> ArraySlice<UInt8> {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else {
            throw CryptoError(.invalidSignature, "DER signature: expected \(what) at offset \(offset)")
        }
        offset += 1
        var length = Int(bytes[offset])
        offset += 1
        if length & 0x80 != 0 {
            let lengthBytes = length & 0x7F
            guard lengthBytes >= 1, lengthBytes <= 2, offset + lengthBytes <= bytes.count else {
                throw CryptoError(.invalidSignature, "DER signature: bad length of \(what)")
            }
            length = 0
            for _ in 0..<lengthBytes {
                length = length << 8 | Int(bytes[offset])
                offset += 1
            }
        }
        guard offset + length <= bytes.count else {
            throw CryptoError(.invalidSignature, "DER signature: \(what) runs past the end")
        }
        defer { offset += length }
        return bytes[offset..<offset + length]
    }
}
