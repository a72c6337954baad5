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
    private static let table: [[UInt8]] = known.map { Array($0.utf8) }

    /// The interned string for these bytes when they are a known name, else a new String.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        let n = bytes.count
        if n > 0 && n <= 32, let first = bytes.first {
            for (i, t) in table.enumerated() where t.count == n && t[0] == first {
                if t.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, n) == 0 }) { return known[i] }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
#if canImport(Glibc)
import Glibc
#endif
