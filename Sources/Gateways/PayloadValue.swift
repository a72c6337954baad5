import PushJSON

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

extension JSONWriter {
    /// The member `key` with a payload value.
    mutating func field(_ key: String, _ value: PayloadValue) {
        self.key(key)
        self.value(value)
    }

    /// A payload value; object keys in the order given, a non-finite double as `null`.
    mutating func value(_ v: PayloadValue) {
        switch v {
        case .string(let s): string(s)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .bool(let b): bool(b)
        case .null: null()
        case .array(let items):
            beginArray()
            for item in items { value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (k, m) in members { field(k, m) }
            endObject()
        }
    }
}
