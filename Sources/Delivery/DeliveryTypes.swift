public import PushModel
public import PushIndex

/// The token of a send: a campaign token or a transactional send's token (the `TOKEN` column
/// of the event files). Printable, no `;`, at most 128 bytes.
public struct SendToken: Hashable, Sendable, CustomStringConvertible {
    /// The token text.
    public let value: String

    /// Validates `value`.
    /// - Throws: `ValidationError` naming `field` when empty, too long or containing `;`, quotes or control bytes.
    public init(_ value: String, field: String = "token") throws(ValidationError) {
        try SendToken.check(value, field: field)
        self.value = value
    }

    static func check(_ value: String, field: String) throws(ValidationError) {
        guard !value.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard value.utf8.count <= 128 else { throw ValidationError(field: field, reason: .tooLong(max: 128)) }
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "\"") && $0 != 0x7F }) else {
            throw ValidationError(field: field, reason: .invalidCharacters)
        }
    }

    /// A fresh random token (32 hex digits).
    public static func random() -> SendToken {
        // 128 random bits in two draws (each draw is a getrandom call; one per hex digit cost
        // 32 system calls per transactional send).
        var g = SystemRandomNumberGenerator()
        let words = (g.next() as UInt64, g.next() as UInt64)
        let hex = Array("0123456789abcdef".utf8)
        var digits = [UInt8](repeating: 0, count: 32)
        for i in 0..<16 {
            digits[i] = hex[Int(truncatingIfNeeded: words.0 >> (60 - 4 * UInt64(i))) & 15]
            digits[16 + i] = hex[Int(truncatingIfNeeded: words.1 >> (60 - 4 * UInt64(i))) & 15]
        }
        return SendToken(unchecked: String(decoding: digits, as: UTF8.self))
    }

    init(unchecked value: String) { self.value = value }

    /// The token text.
    public var description: String { value }
}

/// A transactional send's `group_id`: `a-zA-Z0-9_-`, 1…128 bytes.
public struct GroupID: Hashable, Sendable, CustomStringConvertible {
    /// The group ID text.
    public let value: String

    /// Validates `value`.
    /// - Throws: `ValidationError` naming `field` (`group_id`) for an empty, long or badly spelled ID.
    public init(_ value: String, field: String = "group_id") throws(ValidationError) {
        guard !value.isEmpty else { throw ValidationError(field: field, reason: .empty) }
        guard value.utf8.count <= 128 else { throw ValidationError(field: field, reason: .tooLong(max: 128)) }
        guard value.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }) else { throw ValidationError(field: field, reason: .invalidCharacters) }
        self.value = value
    }

    /// The group ID text.
    public var description: String { value }
}

/// Where a push came from, as events record it.
public enum DeliverySource: Hashable, Sendable {
    /// A campaign, by its token.
    case campaign(SendToken)
    /// A transactional send, by its token and group ID.
    case transactional(SendToken, GroupID)

    /// The send's token.
    public var token: SendToken {
        switch self {
        case .campaign(let t), .transactional(let t, _): return t
        }
    }
}

/// One installation to notify: what a request and its event need.
public struct DeliveryTarget: Hashable, Sendable {
    /// The installation.
    public var installationID: InstallationID
    /// Its user's custom ID, if any.
    public var customID: CustomID?
    /// Its advertising ID, if any.
    public var advertisingID: AdvertisingID?
    /// The token to send to.
    public var token: DeviceToken
    /// The installation's language: picks the message variant (nil: the default message).
    public var language: LanguageCode?

    /// Creates a target.
    public init(installationID: InstallationID, customID: CustomID? = nil, advertisingID: AdvertisingID? = nil, token: DeviceToken,
                language: LanguageCode? = nil) {
        self.installationID = installationID
        self.customID = customID
        self.advertisingID = advertisingID
        self.token = token
        self.language = language
    }

    /// The target for an installation that has a token, nil otherwise.
    public init?(_ installation: Installation) {
        guard let token = installation.token else { return nil }
        self.init(installationID: installation.id, customID: installation.customID,
                  advertisingID: installation.advertisingID, token: token, language: installation.language)
    }

    /// The target for a scanned record (which always has a token).
    public init(_ record: TargetRecord) {
        self.init(installationID: record.installationID, customID: record.customID, advertisingID: record.advertisingID,
                  token: record.token, language: record.language)
    }
}

/// The final event of one target of a send: exactly one per targeted installation.
public struct DeliveryEvent: Hashable, Sendable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// Accepted by the gateway (`push_sent`).
        case sent
        /// The gateway invalidated the token and it left the index (`token_deleted`).
        case tokenDeleted(RejectionReason)
        /// Not delivered (`push_error`): a permanent rejection, exhausted retries, cancellation.
        case error(String)
    }

    /// What happened.
    public var kind: Kind
    /// Who it was for.
    public var target: DeliveryTarget
    /// The platform of the gateway that answered.
    public var platform: Platform
    /// When (UTC).
    public var time: Timestamp
    /// Which send.
    public var source: DeliverySource
    /// Requests made for it (1 when the first answer was final).
    public var attempts: Int

    /// Creates an event.
    public init(kind: Kind, target: DeliveryTarget, platform: Platform, time: Timestamp, source: DeliverySource, attempts: Int) {
        self.kind = kind
        self.target = target
        self.platform = platform
        self.time = time
        self.source = source
        self.attempts = attempts
    }
}

/// Where a send stands. Counters only grow; `pending` is what has been targeted and has no
/// final event yet.
public struct DeliveryProgress: Hashable, Sendable {
    /// Installations handed to the gateway sender so far.
    public var targeted: Int
    /// Accepted (`push_sent`).
    public var sent: Int
    /// Not delivered (`push_error`).
    public var failed: Int
    /// Token invalidated and removed (`token_deleted`).
    public var tokensDeleted: Int
    /// Recipients that resolved to no installation with a token (transactional sends), or
    /// installations skipped because they opted out.
    public var skipped: Int
    /// Whether targeting is over (scan finished, or cancelled).
    public var targetingFinished: Bool
    /// Whether the send was cancelled.
    public var cancelled: Bool

    /// Creates a progress value.
    public init(targeted: Int, sent: Int, failed: Int, tokensDeleted: Int, skipped: Int, targetingFinished: Bool, cancelled: Bool) {
        self.targeted = targeted
        self.sent = sent
        self.failed = failed
        self.tokensDeleted = tokensDeleted
        self.skipped = skipped
        self.targetingFinished = targetingFinished
        self.cancelled = cancelled
    }

    /// Targeted with no final event yet.
    public var pending: Int { targeted - sent - failed - tokensDeleted }
    /// Targeting is over and every target has its final event.
    public var isFinished: Bool { targetingFinished && pending == 0 }

    /// Nothing yet.
    public static let zero = DeliveryProgress(targeted: 0, sent: 0, failed: 0, tokensDeleted: 0, skipped: 0,
                                              targetingFinished: false, cancelled: false)
}
