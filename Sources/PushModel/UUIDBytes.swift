/// A UUID as two 64-bit words (big-endian halves), parsed and printed without Foundation.
///
/// `hi` holds bytes 0–7 and `lo` bytes 8–15 of the textual order.
public struct UUIDBytes: Hashable, Sendable {
    /// Bytes 0–7 of the UUID.
    public var hi: UInt64
    /// Bytes 8–15 of the UUID.
    public var lo: UInt64

    /// Creates a UUID from its two halves.
    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    /// The letter case a UUID was written in, so it can be printed back as received.
    public enum LetterCase: Sendable, Hashable {
        /// `a`–`f` (Android GAIDs, most installation IDs).
        case lower
        /// `A`–`F` (iOS IDFAs).
        case upper
    }

    /// Parses the canonical `8-4-4-4-12` form. Returns nil for anything else, including
    /// mixed-case input (which could not be printed back identically).
    public static func parse(_ text: some StringProtocol) -> (uuid: UUIDBytes, letterCase: LetterCase)? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return result }
        let copy = Array(text.utf8)
        return copy.withUnsafeBufferPointer { parse(bytes: $0) }
    }

    /// Parses the canonical form from UTF-8 bytes.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> (uuid: UUIDBytes, letterCase: LetterCase)? {
        guard bytes.count == 36 else { return nil }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        var digits = 0
        var sawLower = false
        var sawUpper = false
        for (i, c) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10; sawLower = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10; sawUpper = true
            default: return nil
            }
            if digits < 16 { hi = hi << 4 | UInt64(v) } else { lo = lo << 4 | UInt64(v) }
            digits += 1
        }
        if sawLower && sawUpper { return nil }
        return (UUIDBytes(hi: hi, lo: lo), sawUpper ? .upper : .lower)
    }

    /// The canonical text, in the given letter case.
    public func string(_ letterCase: LetterCase = .lower) -> String {
        let alphabet: StaticString = letterCase == .lower ? "0123456789abcdef" : "0123456789ABCDEF"
        return String(unsafeUninitializedCapacity: 36) { out in
            alphabet.withUTF8Buffer { hex in
                var o = 0
                for i in 0..<32 {
                    if i == 8 || i == 12 || i == 16 || i == 20 { out[o] = UInt8(ascii: "-"); o += 1 }
                    let word = i < 16 ? hi : lo
                    let shift = UInt64(60 - (i % 16) * 4)
                    out[o] = hex[Int((word >> shift) & 0xF)]
                    o += 1
                }
            }
            return 36
        }
    }
}
