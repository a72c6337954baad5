public import PushModel

/// One field of an exported CSV line: a validated string that can never break a line.
///
/// **The field rule, applied everywhere (events, in-app events, userbase, file names):**
/// a field is rejected at the door if it contains `;` (0x3B), `"` (0x22), CR (0x0D) or
/// LF (0x0A), or if it is longer than ``maximumByteCount`` UTF-8 bytes. Nothing is quoted
/// or escaped, so every physical line of an exported file is exactly one record in the
/// reference's shape, a naive `split(";")` reads it, and the torn-line repair can trust
/// the last LF. Empty is allowed (anonymous users have an empty custom ID).
///
/// The value is a native, contiguous UTF-8 `String`, so the writer copies its bytes with
/// one `memcpy`; values of 15 bytes or fewer are stored inline without a heap allocation.
/// A UUID (installation or advertising ID) is kept as its 16 bytes and written as text by
/// the writer thread (``init(uuid:letterCase:)``): producers on the delivery path make no
/// string for it. Equality and hashing are by text, whatever the storage.
public struct LogField: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    enum Storage: Sendable {
        case text(String)
        case uuid(UUIDBytes, UUIDBytes.LetterCase)
    }
    /// The longest accepted field, in UTF-8 bytes; it bounds the length of a line.
    public static let maximumByteCount = 1024

    /// The empty field (`;;`).
    public static let empty = LogField(unchecked: "")

    let storage: Storage

    /// The validated text.
    public var text: String {
        switch storage {
        case .text(let text): return text
        case .uuid(let uuid, let letterCase): return uuid.string(letterCase)
        }
    }

    /// A UUID field, formatted in `letterCase` when its line is written. UUID text never
    /// breaks the field rule, so there is nothing to check.
    public init(uuid: UUIDBytes, letterCase: UUIDBytes.LetterCase) {
        storage = .uuid(uuid, letterCase)
    }

    /// Equal when the texts are equal.
    public static func == (lhs: LogField, rhs: LogField) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.uuid(let a, let ac), .uuid(let b, let bc)) where ac == bc: return a == b
        default: return lhs.text == rhs.text
        }
    }

    /// Hashes the text.
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    /// Validates `text` against the field rule.
    /// - Parameter field: names the field in the error, e.g. `"custom ID"`.
    /// - Throws: ``EventLogError/invalidField(field:reason:)``.
    public init(_ text: some StringProtocol, field: String) throws(EventLogError) {
        var native = String(text)
        native.makeContiguousUTF8()
        if let rejection = LogField.check(native.utf8) {
            throw .invalidField(field: field, reason: rejection)
        }
        self.storage = .text(native)
    }

    /// A literal in code; a literal that breaks the rule is a programming error.
    public init(stringLiteral value: String) {
        precondition(LogField.check(value.utf8) == nil, "LogField literal '\(value)' breaks the field rule")
        var native = value
        native.makeContiguousUTF8()
        self.storage = .text(native)
    }

    init(unchecked text: String) {
        var native = text
        native.makeContiguousUTF8()
        self.storage = .text(native)
    }

    /// The text itself.
    public var description: String { text }

    /// Whether the field is empty.
    public var isEmpty: Bool {
        if case .text(let text) = storage { return text.utf8.isEmpty }
        return false
    }

    /// Returns why `bytes` break the field rule, or nil when they follow it.
    static func check(_ bytes: some Collection<UInt8>) -> EventLogError.FieldRejection? {
        // Native strings are contiguous: scan their bytes directly (this runs for every field
        // of every event on the delivery path).
        if let verdict = bytes.withContiguousStorageIfAvailable({ check(buffer: $0) }) { return verdict }
        if bytes.count > maximumByteCount { return .tooLong(byteCount: bytes.count) }
        var offset = 0
        for byte in bytes {
            if isForbidden(byte) { return .forbiddenByte(byte, offset: offset) }
            offset += 1
        }
        return nil
    }

    /// The same rule over contiguous bytes, eight at a time: a word with none of the four
    /// forbidden bytes (the common case) costs a few arithmetic operations.
    static func check(buffer: UnsafeBufferPointer<UInt8>) -> EventLogError.FieldRejection? {
        let count = buffer.count
        if count > maximumByteCount { return .tooLong(byteCount: count) }
        guard let base = buffer.baseAddress else { return nil }
        var i = 0
        while i + 8 <= count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if wordMayHoldForbidden(word) { break }
            i += 8
        }
        while i < count {
            if isForbidden(base[i]) { return .forbiddenByte(base[i], offset: i) }
            i += 1
        }
        return nil
    }

    @inline(__always)
    private static func wordMayHoldForbidden(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasByte(_ b: UInt8) -> Bool {
            let x = w ^ (ones &* UInt64(b))
            return (x &- ones) & ~x & highs != 0
        }
        return hasByte(UInt8(ascii: ";")) || hasByte(UInt8(ascii: "\"")) || hasByte(0x0D) || hasByte(0x0A)
    }

    @inline(__always)
    static func isForbidden(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ";") || byte == UInt8(ascii: "\"") || byte == 0x0D || byte == 0x0A
    }
}
