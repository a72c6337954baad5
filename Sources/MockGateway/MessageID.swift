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
                var position = 0
                for (index, value) in [high, low].enumerated() {
                    var shift: UInt64 = 60
                    for nibble in 0..<16 {
                        let absolute = index * 16 + nibble
                        if absolute == 8 || absolute == 12 || absolute == 16 || absolute == 20 {
                            buffer[position] = UInt8(ascii: "-")
                            position += 1
                        }
                        buffer[position] = hex[Int((value >> shift) & 0xF)]
                        position += 1
                        shift &-= 4
                    }
                }
                return position
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
        } else if hexValue(byte) == nil {
            return false
        }
    }
    return count == 36
}
