/// Bad input, rejected before it changes anything: names the field and says what is wrong.
///
/// Every parsing initializer in PushModel and every mutation of the index throws this type,
/// so an API layer can turn it into a 400 answer naming `field`.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the value.
    public enum Reason: Hashable, Sendable {
        /// The value is empty but must not be.
        case empty
        /// The value is longer than `max` bytes (UTF-8) or elements.
        case tooLong(max: Int)
        /// The value is not an even-length string of hexadecimal digits.
        case invalidHex
        /// The value is not a canonical UUID (`8-4-4-4-12` hexadecimal digits).
        case invalidUUID
        /// The value contains characters the field does not allow.
        case invalidCharacters
        /// The value is not one of the known values (for example a platform name).
        case unknownValue(String)
        /// The value has type `actual` where `expected` is required.
        case wrongType(expected: String, actual: String)
        /// A referenced object (audience, attribute) does not exist.
        case notFound(String)
        /// The value contradicts another field (for example an APNs token on an Android installation).
        case inconsistent(String)
    }

    /// The input field at fault, as the API names it (`token`, `custom_id`, `values.age`, …).
    public let field: String
    /// What is wrong with it.
    public let reason: Reason

    /// Creates an error for `field`.
    public init(field: String, reason: Reason) {
        self.field = field
        self.reason = reason
    }

    /// A sentence for logs and API error messages.
    public var description: String {
        switch reason {
        case .empty: return "\(field): must not be empty"
        case .tooLong(let max): return "\(field): longer than \(max) bytes"
        case .invalidHex: return "\(field): not an even-length hexadecimal string"
        case .invalidUUID: return "\(field): not a UUID"
        case .invalidCharacters: return "\(field): contains characters that are not allowed"
        case .unknownValue(let value): return "\(field): unknown value '\(value)'"
        case .wrongType(let expected, let actual): return "\(field): expected \(expected), got \(actual)"
        case .notFound(let name): return "\(field): '\(name)' does not exist"
        case .inconsistent(let why): return "\(field): \(why)"
        }
    }
}
