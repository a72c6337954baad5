import PushJSON

/// The shape test APNs applies to a payload, without building a tree (no allocation):
/// the body must be one JSON object whose `aps` member is an object (the last `aps` decides,
/// as the last duplicate key wins everywhere in PushJSON).
enum APNsPayloadShape: Sendable, Hashable {
    case valid
    case notJSON
    case notObject
    case missingAps

    static func check(_ bytes: [UInt8]) -> APNsPayloadShape {
        var apsIsObject = false
        let root: JSONKind
        do {
            root = try JSONValue.validate(bytes) { key, kind in
                if key.elementsEqual("aps".utf8) { apsIsObject = kind == .object }
            }
        } catch {
            return .notJSON
        }
        guard root == .object else { return .notObject }
        return apsIsObject ? .valid : .missingAps
    }
}
