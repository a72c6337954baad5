/// Base64url without padding (RFC 4648 §5), as JWS uses it.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as unpadded base64url text.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: encodedBytes(bytes), as: UTF8.self)
    }

    /// Encodes bytes as unpadded base64url, returning the ASCII bytes.
    public static func encodedBytes<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest == 1 {
            let value = UInt32(input[index]) << 16
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
        } else if rest == 2 {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
        }
        return out
    }

    /// Decodes unpadded (or `=`-padded) base64url text.
    ///
    /// - Throws: `CryptoError.invalidBase64URL` naming the offending position when a character is
    ///   outside the alphabet or the length cannot be base64 (one character left over).
    public static func decode(_ text: String) throws(CryptoError) -> [UInt8] {
        try decode(Array(text.utf8))
    }

    /// Decodes unpadded (or `=`-padded) base64url ASCII bytes.
    public static func decode<Bytes: Collection>(_ text: Bytes) throws(CryptoError) -> [UInt8] where Bytes.Element == UInt8 {
        var input = Array(text)
        while input.last == UInt8(ascii: "=") { input.removeLast() }
        if input.count % 4 == 1 {
            throw CryptoError(.invalidBase64URL, "length \(input.count) leaves a single character")
        }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for (position, byte) in input.enumerated() {
            let value = decodeTable[Int(byte)]
            if value == 0xFF {
                throw CryptoError(.invalidBase64URL, "byte 0x\(String(byte, radix: 16)) at offset \(position)")
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
