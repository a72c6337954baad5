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
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var position = 0
        func emit(_ value: UInt64, nibbles: Int) {
            var shift = (nibbles - 1) * 4
            for _ in 0..<nibbles {
                if bytes[position] == UInt8(ascii: "-"), position == 8 || position == 13 || position == 18 || position == 23 {
                    position += 1
                }
                bytes[position] = Self.hex[Int((value >> UInt64(shift)) & 0xF)]
                position += 1
                shift -= 4
            }
        }
        emit(high, nibbles: 16)
        emit(low, nibbles: 16)
        return String(decoding: bytes, as: UTF8.self)
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
