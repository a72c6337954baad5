/// Appends JSON text as UTF-8 bytes to a `[UInt8]`, with no Foundation and no `String` built per
/// value: the codecs build a campaign's payload bytes with it once, the mock gateway its answers.
///
/// Values are written in call order; the writer puts the commas in (a value that follows another
/// in the same container gets one; it tells from the last byte written, since a complete value
/// never ends in `{`, `[` or `:`) but does not check the structure: the caller opens and closes
/// what it writes and writes a key before each member of an object.
///
/// Strings are escaped as RFC 8259 requires: `"` and `\` with a backslash, LF, CR and tab as
/// `\n`, `\r`, `\t`, every other control character as `\u00XX`; everything else is copied as
/// UTF-8. Doubles are written in the shortest form that reads back to the same `Double`; JSON
/// has no NaN or infinity, so a non-finite double is written as `null`.
public struct JSONWriter: Sendable {
    /// The JSON text so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Containers

    /// Opens an object.
    public mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")) }
    /// Opens an object as the member `key`.
    public mutating func beginObject(_ key: String) { self.key(key); bytes.append(UInt8(ascii: "{")) }
    /// Closes the innermost object.
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }
    /// Opens an array.
    public mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")) }
    /// Opens an array as the member `key`.
    public mutating func beginArray(_ key: String) { self.key(key); bytes.append(UInt8(ascii: "[")) }
    /// Closes the innermost array.
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// Writes a member's key and the colon; the next call writes its value.
    public mutating func key(_ name: String) {
        separator()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    /// A string.
    public mutating func string(_ value: String) { separator(); appendQuoted(value) }
    /// The member `key` with a string value.
    public mutating func string(_ key: String, _ value: String) { self.key(key); appendQuoted(value) }
    /// The member `key` with a string value, or `null` when `value` is nil.
    public mutating func optionalString(_ key: String, _ value: String?) {
        self.key(key)
        if let value { appendQuoted(value) } else { appendNull() }
    }

    /// An integer.
    public mutating func int(_ value: Int64) { separator(); appendInteger(value) }
    /// The member `key` with an integer value.
    public mutating func int(_ key: String, _ value: Int64) { self.key(key); appendInteger(value) }

    /// A double, in the shortest form that reads back to the same value; `null` when not finite.
    public mutating func double(_ value: Double) { separator(); appendDouble(value) }
    /// The member `key` with a double value (`null` when not finite).
    public mutating func double(_ key: String, _ value: Double) { self.key(key); appendDouble(value) }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) { separator(); appendBool(value) }
    /// The member `key` with `true` or `false`.
    public mutating func bool(_ key: String, _ value: Bool) { self.key(key); appendBool(value) }

    /// `null`.
    public mutating func null() { separator(); appendNull() }
    /// The member `key` with `null`.
    public mutating func null(_ key: String) { self.key(key); appendNull() }

    /// Splices one complete, already encoded JSON value (not checked; must not be empty).
    public mutating func raw(_ json: some Collection<UInt8>) {
        precondition(!json.isEmpty, "a raw JSON value cannot be empty")
        separator()
        bytes.append(contentsOf: json)
    }

    /// The member `key` with one complete, already encoded JSON value (not checked; must not be empty).
    public mutating func raw(_ key: String, _ json: some Collection<UInt8>) {
        precondition(!json.isEmpty, "a raw JSON value cannot be empty")
        self.key(key)
        bytes.append(contentsOf: json)
    }

    // MARK: Escaping on its own

    /// Appends the escaped contents of a JSON string (no quotes) for the UTF-8 bytes `utf8`,
    /// for callers that splice a value into prebuilt bytes (a per-request token, say).
    @inlinable
    public static func appendEscaped(_ utf8: some Sequence<UInt8>, to out: inout [UInt8]) {
        for byte in utf8 {
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                out.append(byte)
            } else {
                appendEscape(of: byte, to: &out)
            }
        }
    }

    /// The escape sequence of one byte that needs one (`"`, `\` or a control character).
    @usableFromInline
    static func appendEscape(of byte: UInt8, to out: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""): out.append(backslash); out.append(byte)
        case backslash: out.append(backslash); out.append(backslash)
        case 0x0A: out.append(backslash); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(backslash); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(backslash); out.append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            hex.withUTF8Buffer { digits in
                out.append(contentsOf: [backslash, UInt8(ascii: "u"), 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 15)]])
            }
        }
    }

    // MARK: Internals

    /// A comma when something other than an opening bracket or a key's colon came last.
    private mutating func separator() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{"), last != UInt8(ascii: "["), last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func appendQuoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value.utf8, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(0x30 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private mutating func appendDouble(_ value: Double) {
        guard value.isFinite else { appendNull(); return }
        bytes.append(contentsOf: value.description.utf8)
    }

    private mutating func appendBool(_ value: Bool) {
        appendLiteral(value ? "true" : "false")
    }

    private mutating func appendNull() { appendLiteral("null") }

    private mutating func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
