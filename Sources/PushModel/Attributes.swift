/// A custom attribute name: 1…30 of `a-z 0-9 _` (input is lower-cased).
public struct AttributeName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The longest name.
    public static let maxLength = 30
    /// The normalised name.
    public let value: String

    /// Validates a name, naming `field` when it is empty, too long or has other characters.
    public init(_ text: String, field: String = "attribute") throws(ValidationError) {
        let lower = text.lowercased()
        guard !lower.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard lower.utf8.count <= Self.maxLength else { throw ValidationError(field: field, reason: .tooLong(max: Self.maxLength)) }
        guard lower.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
            throw ValidationError(field: field, reason: .invalidCharacters)
        }
        value = lower
    }

    /// The normalised name.
    public var description: String { value }

    /// Orders names alphabetically (stable output).
    public static func < (lhs: AttributeName, rhs: AttributeName) -> Bool { lhs.value < rhs.value }
}

/// The type of a custom attribute; the first write of a name fixes it for the app.
public enum AttributeType: String, Hashable, Sendable, CaseIterable {
    /// Text, at most 64 bytes.
    case string
    /// A 64-bit signed integer.
    case int
    /// A finite double.
    case double
    /// true / false.
    case bool
    /// A point in time.
    case date
    /// A set of short strings ("tags").
    case tags
}

/// A custom attribute value as the Custom Data API writes it; `.null` deletes the attribute.
public enum AttributeValue: Hashable, Sendable {
    /// Text, at most `maxStringLength` bytes.
    case string(String)
    /// An integer.
    case int(Int64)
    /// A finite double.
    case double(Double)
    /// A boolean.
    case bool(Bool)
    /// A date.
    case date(Timestamp)
    /// A set of tags (order and duplicates do not matter).
    case tags(Set<String>)
    /// Deletes the attribute (in a merge).
    case null

    /// The longest string value or tag, in UTF-8 bytes.
    public static let maxStringLength = 64
    /// The most tags in one set.
    public static let maxTags = 64

    /// The value's type; nil for `.null`.
    public var type: AttributeType? {
        switch self {
        case .string: return .string
        case .int: return .int
        case .double: return .double
        case .bool: return .bool
        case .date: return .date
        case .tags: return .tags
        case .null: return nil
        }
    }

    /// Checks lengths, counts and finiteness, naming `field` at fault.
    public func validate(field: String) throws(ValidationError) {
        switch self {
        case .string(let s):
            guard s.utf8.count <= Self.maxStringLength else {
                throw ValidationError(field: field, reason: .tooLong(max: Self.maxStringLength))
            }
        case .double(let d):
            guard d.isFinite else { throw ValidationError(field: field, reason: .wrongType(expected: "finite double", actual: "\(d)")) }
        case .tags(let tags):
            guard tags.count <= Self.maxTags else { throw ValidationError(field: field, reason: .tooLong(max: Self.maxTags)) }
            for tag in tags {
                guard !tag.isEmpty else { throw ValidationError(field: field, reason: .empty) }
                guard tag.utf8.count <= Self.maxStringLength else {
                    throw ValidationError(field: field, reason: .tooLong(max: Self.maxStringLength))
                }
            }
        case .int, .bool, .date, .null:
            break
        }
    }
}
