import PushJSON
import Synchronization

/// Makes `apns-id`-style UUIDs and checks them.
///
/// Generated IDs are a random 64-bit prefix (fixed per generator) followed by a counter, shaped as
/// a version-4 UUID in upper case (as Apple writes them). Unique per process without a random
/// read per request.
final class MessageIDGenerator: Sendable {
    private let prefix: UInt64
    private let counter = Atomic<UInt64>(0)
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    init() {
        var generator = SystemRandomNumberGenerator()
        prefix = generator.next()
    }

    func next() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx: version 4, RFC 4122 variant.
        let high = (prefix & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000
        let low = (sequence & 0x0FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            Self.hex.withUnsafeBufferPointer { hex in
                // Nibble i of the 32 lands at i plus the dashes before it (after 8, 12, 16, 20).
                for nibble in 0..<32 {
                    let value = nibble < 16 ? high : low
                    let shift = UInt64(60 - (nibble % 16) * 4)
                    let dashes = nibble >= 20 ? 4 : nibble >= 16 ? 3 : nibble >= 12 ? 2 : nibble >= 8 ? 1 : 0
                    buffer[nibble + dashes] = hex[Int((value >> shift) & 0xF)]
                }
                buffer[8] = UInt8(ascii: "-")
                buffer[13] = UInt8(ascii: "-")
                buffer[18] = UInt8(ascii: "-")
                buffer[23] = UInt8(ascii: "-")
                return 36
            }
        }
    }
}

/// Whether `text` is a UUID in its 8-4-4-4-12 hexadecimal form (either case).
func isUUID(_ text: String) -> Bool {
    var count = 0
    for (index, byte) in text.utf8.enumerated() {
        count += 1
        if index == 8 || index == 13 || index == 18 || index == 23 {
            if byte != UInt8(ascii: "-") { return false }
        } else if HexDigit.value(byte) == nil {
            return false
        }
    }
    return count == 36
}

