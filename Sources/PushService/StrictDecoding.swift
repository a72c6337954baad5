/// A coding key for any field name: what `allKeys` lists when looking for unknown fields.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// The keyed container, after refusing any field `Keys` does not name (a typo in a config
    /// file or a request must not be silently ignored).
    func strictContainer<Keys: CodingKey & CaseIterable>(keyedBy: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        let any = try container(keyedBy: AnyCodingKey.self)
        // `Keys(stringValue:)` is the synthesized switch: no set of names is built per decode
        // (that set was most of this function's cost on the transactional route).
        for key in any.allKeys where Keys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: codingPath + [key], debugDescription: "unknown field"))
        }
        return try container(keyedBy: Keys.self)
    }
}

/// `a.b[2].c`: a coding path as the API and the config file name fields.
func fieldPath(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            if !text.isEmpty { text += "." }
            text += key.stringValue
        }
    }
    return text
}

/// A field that may be absent (keep what is stored), `null` (remove it) or a value.
enum Patch<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: return current
        case .null: return nil
        case .value(let v): return v
        }
    }
}

extension KeyedDecodingContainer {
    func decodePatch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> Patch<T> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(T.self, forKey: key))
    }
}

/// What a `DecodingError` says, as a field and a reason.
func describe(_ error: DecodingError) -> (field: String, reason: String) {
    switch error {
    case .keyNotFound(let key, let context):
        return (fieldPath(context.codingPath + [key]), "is required")
    case .typeMismatch(let type, let context):
        return (fieldPath(context.codingPath), "must be \(typeName(type))")
    case .valueNotFound(let type, let context):
        return (fieldPath(context.codingPath), "must be \(typeName(type)), not null")
    case .dataCorrupted(let context):
        let field = fieldPath(context.codingPath)
        if context.codingPath.isEmpty { return ("body", "is not valid JSON") }
        return (field, context.debugDescription)
    @unknown default:
        return ("body", "cannot be decoded")
    }
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Bool.Type: return "a boolean"
    case is Int.Type, is Int64.Type, is UInt32.Type: return "an integer"
    case is Double.Type: return "a number"
    default:
        let name = "\(type)"
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "an object"
    }
}
