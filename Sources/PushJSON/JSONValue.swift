/// A parsed JSON document (RFC 8259), for the small documents the engine and the mock gateway
/// read off the wire: gateway error bodies, token answers, JWT headers and claims, FCM messages,
/// scenario and service-account files.
///
/// The reader is strict: exactly one value with optional surrounding whitespace, no trailing
/// commas, no leading zeros, no bare control characters in strings, `\u` escapes paired into
/// surrogate pairs (a lone surrogate is an error), and valid UTF-8 only. Nesting deeper than
/// ``JSONValue/maximumDepth`` is an error, so hostile input cannot exhaust the stack.
///
/// **Duplicate keys: the last one wins**, as in ECMAScript's `JSON.parse`.
///
/// **Numbers.** An integer literal (no fraction, no exponent) that fits `Int64` is kept exactly as
/// ``integer(_:)``; every other number (`1.5`, `1e3`, integers beyond `Int64`) is a ``number(_:)``.
/// ``numberValue`` reads both as `Double`; ``integerValue`` reads both when the value is a whole
/// number that `Double` represents exactly (`1e3` is 1000). Equality follows the case:
/// `.integer(1) != .number(1)`.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer literal within `Int64`, exact.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; on duplicate keys the last one wins.
    case object([String: JSONValue])

    /// Deepest nesting of arrays and objects the reader accepts.
    public static let maximumDepth = 512

    /// The member `key` of an object, else nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, if this is one (integers beyond 2^53 are rounded).
    public var numberValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    /// The number as an `Int64`, if this is a whole number: any ``integer(_:)``, or a
    /// ``number(_:)`` whose value is whole and at most 2^53 in magnitude.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .number(let value):
            guard value.rounded() == value, abs(value) <= 9_007_199_254_740_992 else { return nil }
            return Int64(value)
        default: return nil
        }
    }

    /// The value, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Parses one complete JSON document (surrounding whitespace allowed).
    ///
    /// - Throws: ``JSONSyntaxError`` with the byte offset of the first problem.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes: bytes)
        let value = try scanner.parseValue(depth: 0)
        try scanner.expectEnd()
        return value
    }

    /// Parses one complete JSON document from text.
    ///
    /// - Throws: ``JSONSyntaxError`` with the byte offset of the first problem.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Checks that `bytes` are one JSON document without building a tree, and returns the kind
    /// of its root. When the root is an object, `member` sees each member's key as written
    /// between the quotes (escapes not undone) and the kind of its value, in document order.
    ///
    /// - Throws: ``JSONSyntaxError`` with the byte offset of the first problem.
    public static func validate(
        _ bytes: [UInt8], member: (_ key: ArraySlice<UInt8>, _ kind: JSONKind) -> Void = { _, _ in }
    ) throws(JSONSyntaxError) -> JSONKind {
        var scanner = JSONScanner(bytes: bytes)
        let kind = try scanner.skipRoot(member: member)
        try scanner.expectEnd()
        return kind
    }
}

/// The kind of a JSON value, as ``JSONValue/validate(_:member:)`` reports it.
public enum JSONKind: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool
    /// A number.
    case number
    /// A string.
    case string
    /// An array.
    case array
    /// An object.
    case object
}

/// Where and why a JSON document failed to parse.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset of the problem.
    public var offset: Int
    /// What was expected or found.
    public var message: String

    /// Creates an error.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// `JSON offset N: message`.
    public var description: String { "JSON offset \(offset): \(message)" }
}
