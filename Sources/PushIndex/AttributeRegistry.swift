import PushModel

/// The app's attribute names and their types, as 16-bit codes. The first write of a name
/// fixes its type; later writes of another type are rejected. Innermost lock of the index:
/// nothing is locked while it is held.
struct AttributeRegistry: Sendable {
    private(set) var names: [AttributeName] = []
    private(set) var types: [AttributeType] = []
    private var codes: [String: UInt16] = [:]

    func lookup(_ name: AttributeName) -> (code: UInt16, type: AttributeType)? {
        guard let c = codes[name.value] else { return nil }
        return (c, types[Int(c)])
    }

    /// Checks every non-null value against the registered type, then registers the new names.
    /// Nothing is registered when one value is rejected.
    mutating func resolve(_ values: [AttributeName: AttributeValue]) throws(ValidationError) -> [(UInt16?, AttributeName, AttributeValue)] {
        for (name, value) in values {
            guard let type = value.type, let known = lookup(name) else { continue }
            if known.type != type {
                throw ValidationError(field: "values.\(name.value)", reason: .wrongType(expected: known.type.rawValue, actual: type.rawValue))
            }
        }
        guard names.count + values.count < Int(UInt16.max) else {
            throw ValidationError(field: "values", reason: .tooLong(max: Int(UInt16.max) - 1))
        }
        var out: [(UInt16?, AttributeName, AttributeValue)] = []
        for (name, value) in values {
            if let known = lookup(name) {
                out.append((known.code, name, value))
            } else if let type = value.type {
                let c = UInt16(names.count)
                names.append(name)
                types.append(type)
                codes[name.value] = c
                out.append((c, name, value))
            } else {
                out.append((nil, name, value))  // deleting a name never written: nothing to do
            }
        }
        return out
    }
}
