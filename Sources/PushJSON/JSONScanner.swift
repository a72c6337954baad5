/// The byte-level reader behind ``JSONValue/parse(_:)`` and ``JSONValue/validate(_:member:)``.
struct JSONScanner {
    let bytes: [UInt8]
    var offset = 0

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

    /// Steps into a container at `depth` enclosing containers.
    private func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        guard depth < JSONValue.maximumDepth else { throw error("nesting deeper than \(JSONValue.maximumDepth)") }
    }

    /// After a member or element: true at the closing byte, false after a comma.
    private mutating func endOrComma(_ close: UInt8, _ what: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard let next = peek() else { throw error("unterminated \(what)") }
        if next == close { offset += 1; return true }
        guard next == UInt8(ascii: ",") else {
            throw error(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        offset += 1
        skipWhitespace()
        if peek() == close { throw error("trailing comma") }
        return false
    }

    // MARK: Skipping (validation only)

    /// Skips the root value; for an object root, reports each member's raw key and value kind.
    mutating func skipRoot(member: (ArraySlice<UInt8>, JSONKind) -> Void) throws(JSONSyntaxError) -> JSONKind {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { return try skipValue(depth: 0) }
        offset += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { offset += 1; return .object }
        while true {
            skipWhitespace()
            let keyStart = offset
            _ = try scanString(collect: false)
            let key = bytes[(keyStart + 1)..<(offset - 1)]
            try expect(UInt8(ascii: ":"))
            member(key, try skipValue(depth: 1))
            if try endOrComma(UInt8(ascii: "}"), "object") { return .object }
        }
    }

    @discardableResult
    mutating func skipValue(depth: Int) throws(JSONSyntaxError) -> JSONKind {
        switch try valueStart() {
        case UInt8(ascii: "{"):
            if try open(UInt8(ascii: "}"), depth: depth) { return .object }
            while true {
                skipWhitespace()
                _ = try scanString(collect: false)
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                if try endOrComma(UInt8(ascii: "}"), "object") { return .object }
            }
        case UInt8(ascii: "["):
            if try open(UInt8(ascii: "]"), depth: depth) { return .array }
            while true {
                try skipValue(depth: depth + 1)
                if try endOrComma(UInt8(ascii: "]"), "array") { return .array }
            }
        case UInt8(ascii: "\""):
            _ = try scanString(collect: false)
            return .string
        case UInt8(ascii: "t"): try literal("true"); return .bool
        case UInt8(ascii: "f"): try literal("false"); return .bool
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            _ = try scanNumber()
            return .number
        }
    }

    /// The first byte of the next value, after white space.
    private mutating func valueStart() throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace()
        guard let byte = peek() else { throw error("expected a value") }
        return byte
    }

    /// Enters an object or array at its opening byte; true when it closes at once (empty).
    private mutating func open(_ close: UInt8, depth: Int) throws(JSONSyntaxError) -> Bool {
        try checkDepth(depth)
        offset += 1
        skipWhitespace()
        guard peek() == close else { return false }
        offset += 1
        return true
    }

    // MARK: Building

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        switch try valueStart() {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            if try open(UInt8(ascii: "}"), depth: depth) { return .object(members) }
            while true {
                skipWhitespace()
                let key = try scanString(collect: true) ?? ""
                try expect(UInt8(ascii: ":"))
                members[key] = try parseValue(depth: depth + 1)
                if try endOrComma(UInt8(ascii: "}"), "object") { return .object(members) }
            }
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            if try open(UInt8(ascii: "]"), depth: depth) { return .array(elements) }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                if try endOrComma(UInt8(ascii: "]"), "array") { return .array(elements) }
            }
        case UInt8(ascii: "\""):
            return .string(try scanString(collect: true) ?? "")
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try scanNumber()
        }
    }

    // MARK: Lexing

    /// Scans a string starting at `"`; returns its unescaped value when `collect` is true.
    /// A string without escapes is made from the input bytes directly; one with escapes is
    /// unescaped into a scratch buffer.
    mutating func scanString(collect: Bool) throws(JSONSyntaxError) -> String? {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        offset += 1
        let start = offset
        var runStart = offset
        var unescaped: [UInt8] = []
        var hasEscape = false
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let end = offset
                offset += 1
                guard collect else { return nil }
                if !hasEscape { return String(decoding: bytes[start..<end], as: UTF8.self) }
                unescaped.append(contentsOf: bytes[runStart..<end])
                return String(decoding: unescaped, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                if collect {
                    if !hasEscape { unescaped.reserveCapacity(bytes.count - start) }
                    unescaped.append(contentsOf: bytes[runStart..<offset])
                }
                hasEscape = true
                let scalar = try scanEscape()
                if collect { appendUTF8(scalar, to: &unescaped) }
                runStart = offset
            } else if byte < 0x20 {
                throw error("control character in string")
            } else if byte < 0x80 {
                offset += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw error("unterminated string")
    }

    /// Reads one escape starting at `\`, pairing `\uD8xx\uDCxx` surrogates into one scalar.
    private mutating func scanEscape() throws(JSONSyntaxError) -> UInt32 {
        offset += 1
        guard let escape = peek() else { throw error("unterminated escape") }
        switch escape {
        case UInt8(ascii: "\""): offset += 1; return 0x22
        case UInt8(ascii: "\\"): offset += 1; return 0x5C
        case UInt8(ascii: "/"): offset += 1; return 0x2F
        case UInt8(ascii: "b"): offset += 1; return 0x08
        case UInt8(ascii: "f"): offset += 1; return 0x0C
        case UInt8(ascii: "n"): offset += 1; return 0x0A
        case UInt8(ascii: "r"): offset += 1; return 0x0D
        case UInt8(ascii: "t"): offset += 1; return 0x09
        case UInt8(ascii: "u"):
            let escapeStart = offset - 1
            offset += 1
            let unit = try scanHex4()
            switch unit {
            case 0xD800...0xDBFF:
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(offset: escapeStart, message: "high surrogate without a low surrogate")
                }
                offset += 2
                let low = try scanHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: escapeStart, message: "high surrogate without a low surrogate")
                }
                return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw JSONSyntaxError(offset: escapeStart, message: "low surrogate without a high surrogate")
            default:
                return unit
            }
        default:
            throw error("unknown escape")
        }
    }

    private mutating func scanHex4() throws(JSONSyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = HexDigit.value(bytes[offset]) else { throw error("bad \\u escape") }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// Steps over one well-formed multi-byte UTF-8 sequence (no overlong forms, no surrogates,
    /// nothing above U+10FFFF).
    private mutating func skipUTF8Sequence() throws(JSONSyntaxError) {
        let lead = bytes[offset]
        let continuation: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: continuation = 1
        case 0xE0: continuation = 2; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: continuation = 2
        case 0xED: continuation = 2; second = 0x80...0x9F
        case 0xF0: continuation = 3; second = 0x90...0xBF
        case 0xF1...0xF3: continuation = 3
        case 0xF4: continuation = 3; second = 0x80...0x8F
        default: throw error("invalid UTF-8")
        }
        guard offset + continuation < bytes.count, second.contains(bytes[offset + 1]) else { throw error("invalid UTF-8") }
        for index in (offset + 2)..<(offset + 1 + continuation) where !(0x80...0xBF).contains(bytes[index]) {
            throw error("invalid UTF-8")
        }
        offset += 1 + continuation
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Reads a number: `.integer` for an integer literal within `Int64`, `.number` otherwise.
    mutating func scanNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = offset
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; offset += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a value") }
        var magnitude: UInt64 = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            offset += 1
            if let next = peek(), isDigit(next) { throw error("leading zero") }
        } else {
            while let byte = peek(), isDigit(byte) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
                overflow = overflow || o1 || o2
                magnitude = sum
                offset += 1
            }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            guard let byte = peek(), isDigit(byte) else { throw error("expected a digit after '.'") }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
            guard let byte = peek(), isDigit(byte) else { throw error("expected an exponent digit") }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }
        if isInteger, !overflow {
            if !negative, magnitude <= UInt64(Int64.max) { return .integer(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 { return .integer(Int64(truncatingIfNeeded: 0 &- magnitude)) }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONSyntaxError(offset: start, message: "number out of range")
        }
        return .number(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

/// Hexadecimal digits, for `\u` escapes here and for the token and ID checks of the layers above.
public enum HexDigit {
    /// The value of one hexadecimal digit, either case; nil for any other byte.
    @inlinable
    public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
