#if canImport(Glibc)
import Glibc
#endif

/// Header names and values seen on every APNs/FCM request or response, interned so the hot
/// path compares bytes instead of building and validating a new `String` per header.
enum HeaderNames {
    static let known: [String] = [
        ":method", ":path", ":scheme", ":authority", ":status",
        "apns-topic", "apns-push-type", "apns-priority", "apns-expiration", "apns-id",
        "apns-collapse-id", "apns-unique-id", "authorization", "content-type", "content-length",
        "user-agent", "accept", "accept-encoding", "retry-after", "date", "server",
        "POST", "GET", "https", "http", "alert", "background", "10", "5", "1", "0",
        "application/json", "application/json; charset=UTF-8",
    ]
    private static let bytes: [[UInt8]] = known.map { Array($0.utf8) }
    private static let slots = 256

    @inline(__always)
    private static func slot(_ count: Int, _ first: UInt8, _ last: UInt8) -> Int {
        (count &* 31 &+ Int(first) &* 7 &+ Int(last)) & (slots - 1)
    }

    /// Open-addressed table: slot → index into `known` + 1 (0 = empty).
    private static let table: [Int] = {
        var t = [Int](repeating: 0, count: slots)
        for (i, b) in bytes.enumerated() {
            var s = slot(b.count, b[0], b[b.count - 1])
            while t[s] != 0 { s = (s + 1) & (slots - 1) }
            t[s] = i + 1
        }
        return t
    }()

    /// The interned string for these bytes when they are a known name or value, else a new String.
    @inline(__always)
    static func string(_ raw: UnsafeRawBufferPointer) -> String {
        let n = raw.count
        guard n > 0, n <= 40, let base = raw.baseAddress else { return String(decoding: raw, as: UTF8.self) }
        var s = slot(n, raw[0], raw[n - 1])
        while true {
            let e = table[s]
            if e == 0 { break }
            let candidate = bytes[e - 1]
            if candidate.count == n && candidate.withUnsafeBytes({ memcmp($0.baseAddress!, base, n) == 0 }) {
                return known[e - 1]
            }
            s = (s + 1) & (slots - 1)
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
