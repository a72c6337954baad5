/// The identifier an SDK gives one app installation: a UUID (kept as 16 bytes) or,
/// for other SDKs, an opaque string of at most 64 bytes.
///
/// Two UUID IDs are equal when their bytes are; the letter case they arrived in is only
/// kept to print them back as received.
public struct InstallationID: Hashable, Sendable, CustomStringConvertible {
    /// The longest opaque installation ID, in UTF-8 bytes.
    public static let maxOpaqueLength = 64

    /// How the identifier is held.
    public enum Storage: Sendable {
        /// A canonical UUID.
        case uuid(UUIDBytes, UUIDBytes.LetterCase)
        /// Any other non-empty string of at most 64 UTF-8 bytes.
        case opaque(String)
    }

    /// The identifier's representation.
    public let storage: Storage

    /// Parses an installation ID: canonical UUIDs become 16 bytes, other strings are kept
    /// as they are. Throws for an empty or over-long value, naming `field`.
    public init(_ text: String, field: String = "installation_id") throws(ValidationError) {
        if let (uuid, letterCase) = UUIDBytes.parse(text) {
            storage = .uuid(uuid, letterCase)
            return
        }
        let length = text.utf8.count
        guard length > 0 else { throw ValidationError(field: field, reason: .empty) }
        guard length <= Self.maxOpaqueLength else {
            throw ValidationError(field: field, reason: .tooLong(max: Self.maxOpaqueLength))
        }
        guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw ValidationError(field: field, reason: .invalidCharacters)
        }
        storage = .opaque(text)
    }

    /// An installation ID from UUID bytes.
    public init(uuid: UUIDBytes, letterCase: UUIDBytes.LetterCase = .lower) {
        storage = .uuid(uuid, letterCase)
    }

    /// Wraps an opaque ID the index validated when it was stored.
    package init(uncheckedOpaque text: String) { storage = .opaque(text) }

    /// The UUID, when the ID is one.
    public var uuid: UUIDBytes? {
        if case .uuid(let u, _) = storage { return u }
        return nil
    }

    /// The identifier as the SDK sent it.
    public var description: String {
        switch storage {
        case .uuid(let u, let letterCase): return u.string(letterCase)
        case .opaque(let s): return s
        }
    }

    /// Equal when both are the same UUID (any case) or the same opaque string.
    public static func == (lhs: InstallationID, rhs: InstallationID) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.uuid(let a, _), .uuid(let b, _)): return a == b
        case (.opaque(let a), .opaque(let b)): return a == b
        default: return false
        }
    }

    /// Hashes the bytes, not the letter case.
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .uuid(let u, _): hasher.combine(0 as UInt8); hasher.combine(u)
        case .opaque(let s): hasher.combine(1 as UInt8); hasher.combine(s)
        }
    }
}
