/// The app's own user identifier (Batch's "custom user ID"): non-empty, at most 512 UTF-8 bytes.
///
/// One custom ID may be attached to several installations (the same user on several devices);
/// custom attributes and custom-ID audiences are keyed by it.
public struct CustomID: Hashable, Sendable, CustomStringConvertible {
    /// The longest custom ID, in UTF-8 bytes.
    public static let maxLength = 512

    /// The identifier.
    public let value: String

    /// Validates a custom ID, naming `field` when it is empty, too long or holds control characters.
    public init(_ value: String, field: String = "custom_id") throws(ValidationError) {
        let length = value.utf8.count
        guard length > 0 else { throw ValidationError(field: field, reason: .empty) }
        guard length <= Self.maxLength else { throw ValidationError(field: field, reason: .tooLong(max: Self.maxLength)) }
        guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw ValidationError(field: field, reason: .invalidCharacters)
        }
        self.value = value
    }

    /// Wraps a value the index validated when it was stored.
    package init(unchecked value: String) { self.value = value }

    /// The identifier.
    public var description: String { value }
}
