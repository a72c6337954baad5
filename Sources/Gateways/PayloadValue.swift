/// A JSON value for custom payload keys (the reference platform's `custom_payload`).
public indirect enum PayloadValue: Sendable, Hashable {
    /// A string.
    case string(String)
    /// An integer.
    case int(Int64)
    /// A floating-point number (must be finite).
    case double(Double)
    /// `true` / `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array.
    case array([PayloadValue])
    /// An object; keys are written in the order given.
    case object([(String, PayloadValue)])

    /// Compares structurally, keys in order.
    public static func == (lhs: PayloadValue, rhs: PayloadValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Hashes structurally.
    public func hash(into hasher: inout Hasher) {
        var writer = JSONWriter()
        writer.value(self)
        hasher.combine(writer.bytes)
    }
}

/// Builds JSON bytes without Foundation: used once per campaign, never per token.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// One entry per open container: whether a member was written (so the next needs a comma).
    private var hasMember: [Bool] = [false]
    /// A key was just written: the next value follows it without a comma.
    private var afterKey = false

    init() { bytes.reserveCapacity(512) }

    private mutating func separator() {
        if afterKey { afterKey = false; return }
        if hasMember[hasMember.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMember[hasMember.count - 1] = true
    }

    mutating func beginObject(_ key: String? = nil) {
        if let key { self.key(key) }
        separator()
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    mutating func endObject() {
        hasMember.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func key(_ key: String) {
        separator()
        string(key)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func field(_ key: String, _ value: PayloadValue) {
        self.key(key)
        self.value(value)
    }

    mutating func value(_ v: PayloadValue) {
        separator()
        switch v {
        case .string(let s): string(s)
        case .int(let i): bytes.append(contentsOf: String(i).utf8)
        case .double(let d): bytes.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: bytes.append(contentsOf: "null".utf8)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            hasMember.append(false)
            for item in items { value(item) }
            hasMember.removeLast()
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            hasMember.append(false)
            for (k, m) in members { field(k, m) }
            hasMember.removeLast()
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
