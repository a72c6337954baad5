/// A language as ISO 639 letters (2 or 3, kept lower case), e.g. `fr`.
///
/// Packed into 16 bits so the index stores it inline.
public struct LanguageCode: Hashable, Sendable, CustomStringConvertible {
    /// Five bits per letter, first letter highest; never 0 for a valid code.
    public let packed: UInt16

    /// Validates 2 or 3 ASCII letters (any case), naming `field` otherwise.
    public init(_ text: String, field: String = "language") throws(ValidationError) {
        guard let packed = packLetters(text, allowed: 2...3) else {
            throw ValidationError(field: field, reason: text.isEmpty ? .empty : .invalidCharacters)
        }
        self.packed = packed
    }

    /// Rebuilds a code from its packed form (as stored by the index).
    package init(packed: UInt16) { self.packed = packed }

    /// The lower-case code.
    public var description: String { unpackLetters(packed, upper: false) }
}

/// A region as an ISO 3166-1 alpha-2 code (kept upper case), e.g. `FR`.
public struct RegionCode: Hashable, Sendable, CustomStringConvertible {
    /// Five bits per letter; never 0 for a valid code.
    public let packed: UInt16

    /// Validates 2 ASCII letters (any case), naming `field` otherwise.
    public init(_ text: String, field: String = "region") throws(ValidationError) {
        guard let packed = packLetters(text, allowed: 2...2) else {
            throw ValidationError(field: field, reason: text.isEmpty ? .empty : .invalidCharacters)
        }
        self.packed = packed
    }

    /// Rebuilds a code from its packed form (as stored by the index).
    package init(packed: UInt16) { self.packed = packed }

    /// The upper-case code.
    public var description: String { unpackLetters(packed, upper: true) }
}

private func packLetters(_ text: String, allowed: ClosedRange<Int>) -> UInt16? {
    let utf8 = text.utf8
    guard allowed.contains(utf8.count) else { return nil }
    var packed: UInt16 = 0
    for c in utf8 {
        let lower = c | 0x20
        guard lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") else { return nil }
        packed = packed << 5 | UInt16(lower - UInt8(ascii: "a") + 1)
    }
    return packed
}

private func unpackLetters(_ packed: UInt16, upper: Bool) -> String {
    var letters: [UInt8] = []
    var p = packed
    while p != 0 {
        letters.append(UInt8(p & 31) - 1 + (upper ? UInt8(ascii: "A") : UInt8(ascii: "a")))
        p >>= 5
    }
    return String(decoding: letters.reversed(), as: UTF8.self)
}

/// An app version as the SDK reports it (`4.2.1`, `2024.11 (311)`): 1…64 printable bytes.
public struct AppVersion: Hashable, Sendable, CustomStringConvertible {
    /// The longest app version, in UTF-8 bytes.
    public static let maxLength = 64
    /// The version text.
    public let value: String

    /// Validates the version, naming `field` when empty, too long or holding control characters.
    public init(_ value: String, field: String = "app_version") throws(ValidationError) {
        try validateShortText(value, max: Self.maxLength, field: field)
        self.value = value
    }

    /// Wraps a value the index validated when it was stored.
    package init(unchecked value: String) { self.value = value }

    /// The version text.
    public var description: String { value }
}

/// An IANA time zone name (`Europe/Paris`): 1…64 bytes of letters, digits, `/ _ + -`.
public struct TimeZoneID: Hashable, Sendable, CustomStringConvertible {
    /// The longest zone name, in UTF-8 bytes.
    public static let maxLength = 64
    /// The zone name.
    public let value: String

    /// Validates the zone name's shape (not its existence), naming `field` otherwise.
    public init(_ value: String, field: String = "timezone") throws(ValidationError) {
        try validateShortText(value, max: Self.maxLength, field: field)
        let ok = value.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: "/") || c == UInt8(ascii: "_") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
        }
        guard ok else { throw ValidationError(field: field, reason: .invalidCharacters) }
        self.value = value
    }

    /// Wraps a value the index validated when it was stored.
    package init(unchecked value: String) { self.value = value }

    /// The zone name.
    public var description: String { value }
}

func validateShortText(_ value: String, max: Int, field: String) throws(ValidationError) {
    let length = value.utf8.count
    guard length > 0 else { throw ValidationError(field: field, reason: .empty) }
    guard length <= max else { throw ValidationError(field: field, reason: .tooLong(max: max)) }
    guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
        throw ValidationError(field: field, reason: .invalidCharacters)
    }
}

extension Platform {
    /// Parses `IOS` / `ANDROID` (any case), naming `field` for anything else.
    public init(validating text: String, field: String = "platform") throws(ValidationError) {
        switch text.uppercased() {
        case "IOS": self = .iOS
        case "ANDROID": self = .android
        default: throw ValidationError(field: field, reason: .unknownValue(text))
        }
    }
}
