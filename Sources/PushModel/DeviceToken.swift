/// A push token: an APNs device token (sent as hex, kept as bytes) or an FCM registration
/// token (an opaque printable string of at most 4 KB).
///
/// Tokens of up to 32 bytes (every current APNs token) are held inline, so creating,
/// copying and comparing them never allocates.
public struct DeviceToken: Hashable, Sendable, CustomStringConvertible {
    /// Which gateway issued the token.
    public enum Kind: UInt8, Sendable, Hashable {
        /// An APNs device token (binary; hexadecimal on the wire).
        case apns = 1
        /// An FCM registration token (opaque text).
        case fcm = 2

        /// The platform whose gateway issued tokens of this kind.
        public var platform: Platform { self == .apns ? .iOS : .android }
    }

    /// The longest APNs token Apple allows, in bytes.
    public static let maxAPNsLength = 100
    /// The longest FCM token accepted, in bytes.
    public static let maxFCMLength = 4096

    @usableFromInline
    struct Inline: Hashable, Sendable {
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    }

    @usableFromInline
    enum Storage: Hashable, Sendable {
        case inline(Inline, count: UInt8)
        case heap([UInt8])
    }

    /// The gateway that issued the token.
    public let kind: Kind
    @usableFromInline let storage: Storage

    /// Parses an APNs token from hexadecimal (either case). Throws, naming `field`, for
    /// odd length, non-hex characters, an empty value or more than 100 bytes.
    public init(apnsHex hex: String, field: String = "token") throws(ValidationError) {
        let utf8 = hex.utf8
        guard !utf8.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard utf8.count % 2 == 0 else { throw ValidationError(field: field, reason: .invalidHex) }
        guard utf8.count / 2 <= Self.maxAPNsLength else {
            throw ValidationError(field: field, reason: .tooLong(max: Self.maxAPNsLength))
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for c in utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: throw ValidationError(field: field, reason: .invalidHex)
            }
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        self.init(unchecked: .apns, bytes: bytes)
    }

    /// An APNs token from raw bytes (1…100 bytes).
    public init(apnsBytes bytes: some Collection<UInt8>, field: String = "token") throws(ValidationError) {
        guard !bytes.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard bytes.count <= Self.maxAPNsLength else {
            throw ValidationError(field: field, reason: .tooLong(max: Self.maxAPNsLength))
        }
        self.init(unchecked: .apns, bytes: bytes)
    }

    /// An FCM registration token: non-empty printable ASCII without spaces, at most 4 KB.
    public init(fcm text: String, field: String = "token") throws(ValidationError) {
        let utf8 = text.utf8
        guard !utf8.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard utf8.count <= Self.maxFCMLength else {
            throw ValidationError(field: field, reason: .tooLong(max: Self.maxFCMLength))
        }
        guard utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ValidationError(field: field, reason: .invalidCharacters)
        }
        self.init(unchecked: .fcm, bytes: utf8)
    }

    /// Parses a token as the given platform sends it: hex for iOS, opaque text for Android.
    public init(_ text: String, platform: Platform, field: String = "token") throws(ValidationError) {
        switch platform {
        case .iOS: try self.init(apnsHex: text, field: field)
        case .android: try self.init(fcm: text, field: field)
        }
    }

    /// Builds a token from bytes already validated for `kind` (the index rebuilds tokens with it).
    package init(unchecked kind: Kind, bytes: some Collection<UInt8>) {
        if let built = bytes.withContiguousStorageIfAvailable({ DeviceToken(unchecked: kind, raw: UnsafeRawBufferPointer($0)) }) {
            self = built
            return
        }
        self.kind = kind
        if bytes.count <= 32 {
            var inline = Inline()
            withUnsafeMutableBytes(of: &inline) { raw in
                var i = 0
                for b in bytes { raw[i] = b; i += 1 }
            }
            storage = .inline(inline, count: UInt8(bytes.count))
        } else {
            storage = .heap(Array(bytes))
        }
    }

    /// Builds a token from raw bytes already validated for `kind`, copying them in one step.
    package init(unchecked kind: Kind, raw: UnsafeRawBufferPointer) {
        self.kind = kind
        if raw.count <= 32 {
            var inline = Inline()
            withUnsafeMutableBytes(of: &inline) { $0.copyMemory(from: raw) }
            storage = .inline(inline, count: UInt8(raw.count))
        } else {
            storage = .heap(Array(raw))
        }
    }

    /// The number of bytes (APNs) or characters (FCM).
    public var count: Int {
        switch storage {
        case .inline(_, let count): return Int(count)
        case .heap(let bytes): return bytes.count
        }
    }

    /// Calls `body` with the token's bytes (binary for APNs, UTF-8 text for FCM).
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .inline(var inline, let count):
            return try Swift.withUnsafeBytes(of: &inline) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
        case .heap(let bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// The token's bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hex for APNs (the `:path` form), the text itself for FCM.
    public var description: String {
        withUnsafeBytes { raw in
            switch kind {
            case .fcm:
                return String(decoding: raw, as: UTF8.self)
            case .apns:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                return String(unsafeUninitializedCapacity: raw.count * 2) { out in
                    for (i, b) in raw.enumerated() {
                        out[2 * i] = hex[Int(b >> 4)]
                        out[2 * i + 1] = hex[Int(b & 0xF)]
                    }
                    return raw.count * 2
                }
            }
        }
    }
}
