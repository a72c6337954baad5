/// An advertising identifier (IDFA on iOS, GAID on Android): a UUID kept as 16 bytes.
///
/// The all-zero UUID (what iOS returns when tracking is off) is rejected: pass `nil` instead.
public struct AdvertisingID: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's bytes.
    public let uuid: UUIDBytes
    /// The letter case it arrived in (IDFAs are upper case, GAIDs lower case).
    public let letterCase: UUIDBytes.LetterCase

    /// Parses a canonical UUID. Throws, naming `field`, for anything else.
    public init(_ text: String, field: String = "advertising_id") throws(ValidationError) {
        guard let (uuid, letterCase) = UUIDBytes.parse(text) else {
            throw ValidationError(field: field, reason: .invalidUUID)
        }
        try self.init(uuid: uuid, letterCase: letterCase, field: field)
    }

    /// An advertising ID from bytes. Throws for the all-zero UUID.
    public init(uuid: UUIDBytes, letterCase: UUIDBytes.LetterCase = .upper, field: String = "advertising_id") throws(ValidationError) {
        guard uuid.hi != 0 || uuid.lo != 0 else {
            throw ValidationError(field: field, reason: .inconsistent("the all-zero advertising ID means tracking is off; omit it"))
        }
        self.uuid = uuid
        self.letterCase = letterCase
    }

    /// Wraps bytes the index validated when it was stored.
    package init(unchecked uuid: UUIDBytes, letterCase: UUIDBytes.LetterCase) {
        self.uuid = uuid
        self.letterCase = letterCase
    }

    /// The identifier as received.
    public var description: String { uuid.string(letterCase) }

    /// Equal when the bytes are equal, whatever the letter case.
    public static func == (lhs: AdvertisingID, rhs: AdvertisingID) -> Bool { lhs.uuid == rhs.uuid }

    /// Hashes the bytes only.
    public func hash(into hasher: inout Hasher) { hasher.combine(uuid) }
}
