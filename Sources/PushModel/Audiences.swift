/// The name of a custom audience: 1…64 of `A-Z a-z 0-9 _ -`.
public struct AudienceName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The longest name.
    public static let maxLength = 64
    /// The name.
    public let value: String

    /// Validates a name, naming `field` at fault.
    public init(_ text: String, field: String = "audience") throws(ValidationError) {
        guard !text.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard text.utf8.count <= Self.maxLength else { throw ValidationError(field: field, reason: .tooLong(max: Self.maxLength)) }
        let ok = text.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }
        guard ok else { throw ValidationError(field: field, reason: .invalidCharacters) }
        value = text
    }

    /// The name.
    public var description: String { value }

    /// Alphabetical order.
    public static func < (lhs: AudienceName, rhs: AudienceName) -> Bool { lhs.value < rhs.value }
}

/// What a custom audience lists.
public enum AudienceKind: String, Hashable, Sendable, CaseIterable {
    /// Custom user IDs (every installation of a listed user is a member).
    case customIDs = "custom_ids"
    /// Advertising IDs.
    case advertisingIDs = "advertising_ids"
    /// Installation IDs.
    case installationIDs = "installation_ids"
}

/// One identifier in a custom audience.
public enum AudienceMember: Hashable, Sendable {
    /// A custom user ID.
    case customID(CustomID)
    /// An advertising ID.
    case advertisingID(AdvertisingID)
    /// An installation ID.
    case installationID(InstallationID)

    /// The audience kind this member belongs in.
    public var kind: AudienceKind {
        switch self {
        case .customID: return .customIDs
        case .advertisingID: return .advertisingIDs
        case .installationID: return .installationIDs
        }
    }

    /// Parses `text` as a member of an audience of `kind`, naming `field` when it does not parse.
    public init(_ text: String, kind: AudienceKind, field: String = "ids") throws(ValidationError) {
        switch kind {
        case .customIDs: self = .customID(try CustomID(text, field: field))
        case .advertisingIDs: self = .advertisingID(try AdvertisingID(text, field: field))
        case .installationIDs: self = .installationID(try InstallationID(text, field: field))
        }
    }
}
