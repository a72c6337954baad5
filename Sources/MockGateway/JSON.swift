/// A parsed JSON value, for the small documents the gateway reads off the wire
/// (JWT headers and claims, FCM messages, OAuth2 answers). Numbers are kept as `Double`.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// Any number.
    case number(Double)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; on duplicate keys the last one wins.
    case object([String: JSONValue])

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

    /// The number, if this is one.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
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

    /// Parses one complete JSON document (surrounding whitespace allowed).
    ///
    /// - Throws: `JSONSyntaxError` with the byte offset of the first problem.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes: bytes)
        let value = try scanner.parseValue(depth: 0)
        try scanner.expectEnd()
        return value
    }
}

/// Where and why a JSON document failed to parse.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset of the problem.
    public var offset: Int
    /// What was expected or found.
    public var message: String
    /// `offset N: message`.
    public var description: String { "JSON offset \(offset): \(message)" }
}

/// The shape test APNs applies to a payload, without building a tree (no allocation):
/// the body must be one JSON object whose `aps` member is an object.
enum APNsPayloadShape: Sendable, Hashable {
    case valid
    case notJSON
    case notObject
    case missingAps

    static func check(_ bytes: [UInt8]) -> APNsPayloadShape {
        var scanner = JSONScanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else {
            do {
                try scanner.skipValue(depth: 0)
                try scanner.expectEnd()
                return .notObject
            } catch {
                return .notJSON
            }
        }
        do {
            let hasAps = try scanner.skipTopLevelObjectFindingAps()
            try scanner.expectEnd()
            return hasAps ? .valid : .missingAps
        } catch {
            return .notJSON
        }
    }
}

/// A byte-level JSON scanner (RFC 8259), nesting limited to 64 levels.
struct JSONScanner {
    let bytes: [UInt8]
    var offset = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, message: message)
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        if offset != bytes.count { throw error("trailing data") }
    }

    mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        skipWhitespace()
        guard peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        offset += 1
    }

    mutating func literal(_ text: StaticString) throws(JSONSyntaxError) {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw error("truncated literal") }
        let matches = text.withUTF8Buffer { expected in
            bytes[offset..<offset + count].elementsEqual(expected)
        }
        guard matches else { throw error("invalid literal") }
        offset += count
    }

    // MARK: Skipping (validation only)

    mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        skipWhitespace()
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            offset += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { offset += 1; return }
            while true {
                skipWhitespace()
                _ = try scanString(collect: false)
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw error("unterminated object") }
                offset += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            offset += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { offset += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw error("unterminated array") }
                offset += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""):
            _ = try scanString(collect: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            _ = try scanNumber()
        }
    }

    /// Skips a top-level object, reporting whether it has an `aps` member whose value is an object.
    mutating func skipTopLevelObjectFindingAps() throws(JSONSyntaxError) -> Bool {
        try expect(UInt8(ascii: "{"))
        var found = false
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { offset += 1; return false }
        while true {
            skipWhitespace()
            let keyStart = offset
            _ = try scanString(collect: false)
            let isAps = offset - keyStart == 5 && bytes[keyStart + 1] == UInt8(ascii: "a")
                && bytes[keyStart + 2] == UInt8(ascii: "p") && bytes[keyStart + 3] == UInt8(ascii: "s")
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            if isAps { found = peek() == UInt8(ascii: "{") }
            try skipValue(depth: 1)
            skipWhitespace()
            guard let next = peek() else { throw error("unterminated object") }
            offset += 1
            if next == UInt8(ascii: "}") { return found }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
        }
    }

    // MARK: Building

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        skipWhitespace()
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            offset += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { offset += 1; return .object(members) }
            while true {
                skipWhitespace()
                let key = try scanString(collect: true) ?? ""
                try expect(UInt8(ascii: ":"))
                members[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw error("unterminated object") }
                offset += 1
                if next == UInt8(ascii: "}") { return .object(members) }
                guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            offset += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { offset += 1; return .array(elements) }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard let next = peek() else { throw error("unterminated array") }
                offset += 1
                if next == UInt8(ascii: "]") { return .array(elements) }
                guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""):
            return .string(try scanString(collect: true) ?? "")
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try scanNumber())
        }
    }

    // MARK: Lexing

    /// Scans a string starting at `"`; returns its unescaped value when `collect` is true.
    mutating func scanString(collect: Bool) throws(JSONSyntaxError) -> String? {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        offset += 1
        var scalars = String.UnicodeScalarView()
        var runStart = offset
        var pendingHighSurrogate: UInt32?
        func flushRun(_ end: Int) {
            if collect, runStart < end {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                flushRun(offset)
                offset += 1
                return collect ? String(scalars) : nil
            case UInt8(ascii: "\\"):
                flushRun(offset)
                offset += 1
                guard let escape = peek() else { throw error("unterminated escape") }
                offset += 1
                var scalar: UInt32
                switch escape {
                case UInt8(ascii: "\""): scalar = 0x22
                case UInt8(ascii: "\\"): scalar = 0x5C
                case UInt8(ascii: "/"): scalar = 0x2F
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    guard offset + 4 <= bytes.count else { throw error("truncated \\u escape") }
                    scalar = 0
                    for _ in 0..<4 {
                        guard let digit = hexValue(bytes[offset]) else { throw error("bad \\u escape") }
                        scalar = scalar << 4 | UInt32(digit)
                        offset += 1
                    }
                default:
                    throw error("unknown escape")
                }
                if let high = pendingHighSurrogate {
                    pendingHighSurrogate = nil
                    if (0xDC00...0xDFFF).contains(scalar) {
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (scalar - 0xDC00)
                    } else if collect {
                        scalars.append("\u{FFFD}")
                    }
                }
                if (0xD800...0xDBFF).contains(scalar) {
                    pendingHighSurrogate = scalar
                } else if collect {
                    scalars.append(Unicode.Scalar(scalar) ?? "\u{FFFD}")
                }
                runStart = offset
            default:
                if byte < 0x20 { throw error("control character in string") }
                offset += 1
            }
        }
        throw error("unterminated string")
    }

    mutating func scanNumber() throws(JSONSyntaxError) -> Double {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a value") }
        if first == UInt8(ascii: "0") {
            offset += 1
        } else {
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard let byte = peek(), isDigit(byte) else { throw error("expected a digit after '.'") }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            offset += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
            guard let byte = peek(), isDigit(byte) else { throw error("expected an exponent digit") }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard let value = Double(text) else { throw error("unreadable number") }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: return byte - 0x30
    case 0x61...0x66: return byte - 0x61 + 10
    case 0x41...0x46: return byte - 0x41 + 10
    default: return nil
    }
}

/// Appends JSON text to a byte buffer (no Foundation), for recorder lines, statistics and bodies.
struct JSONWriter {
    var bytes: [UInt8] = []
    private var needsComma = [false]

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma.removeLast() }
    mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma.removeLast() }

    mutating func key(_ name: String) {
        separator()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ value: String) { separator(); appendString(value) }
    mutating func string(_ key: String, _ value: String) { self.key(key); string(value) }
    mutating func optionalString(_ key: String, _ value: String?) {
        self.key(key)
        if let value { string(value) } else { separator(); bytes.append(contentsOf: "null".utf8) }
    }
    mutating func int(_ value: Int64) { separator(); bytes.append(contentsOf: String(value).utf8) }
    mutating func int(_ key: String, _ value: Int64) { self.key(key); int(value) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
