/// Why a gateway refused a notification: the gateway's wire string paired with its HTTP status
/// and what it means for the sender.
///
/// An extensible struct rather than an enum: known reasons are `static let`s (APNs reasons use
/// Apple's names, FCM ones Google's `errorCode`/`status`), and anything else arrives through
/// ``unknown(_:status:)`` with the wire string kept, so a new gateway reason never breaks decoding.
public struct RejectionReason: Hashable, Sendable, CustomStringConvertible {
    /// What a rejection means for the sender.
    public enum Consequence: UInt8, Hashable, Sendable {
        /// The token is no longer valid: remove it from the index and log `token_deleted`.
        case invalidToken
        /// The notification cannot be delivered as sent: log `push_error`, do not retry.
        case permanent
        /// The gateway refused our provider token or certificate: reissue the token once, then
        /// `push_error` and flag the app's credentials.
        case credentials
        /// A temporary condition (throttling, server error): retry with backoff.
        case transient
    }

    /// The reason as the gateway writes it (`Unregistered`, `UNREGISTERED`, …).
    public let wireValue: String
    /// The HTTP status that carried it.
    public let status: Int
    /// What it means for the sender.
    public let consequence: Consequence

    /// Creates a reason.
    public init(_ wireValue: String, status: Int, consequence: Consequence) {
        self.wireValue = wireValue
        self.status = status
        self.consequence = consequence
    }

    /// A reason not in the known tables: transient for 429 and 5xx, permanent otherwise.
    public static func unknown(_ wireValue: String, status: Int) -> RejectionReason {
        RejectionReason(wireValue, status: status,
                        consequence: status == 429 || status >= 500 ? .transient : .permanent)
    }

    /// `Reason (status)`.
    public var description: String { "\(wireValue) (\(status))" }
}

// MARK: - APNs reasons (Apple's table: status → reason)

extension RejectionReason {
    /// 400 The collapse identifier exceeds the maximum allowed size.
    public static let badCollapseId = RejectionReason("BadCollapseId", status: 400, consequence: .permanent)
    /// 400 The device token is invalid for this topic or environment: the token leaves the index.
    public static let badDeviceToken = RejectionReason("BadDeviceToken", status: 400, consequence: .invalidToken)
    /// 400 The `apns-expiration` value is invalid.
    public static let badExpirationDate = RejectionReason("BadExpirationDate", status: 400, consequence: .permanent)
    /// 400 The `apns-id` value is invalid.
    public static let badMessageId = RejectionReason("BadMessageId", status: 400, consequence: .permanent)
    /// 400 The `apns-priority` value is invalid.
    public static let badPriority = RejectionReason("BadPriority", status: 400, consequence: .permanent)
    /// 400 The `apns-topic` value is invalid.
    public static let badTopic = RejectionReason("BadTopic", status: 400, consequence: .permanent)
    /// 400 The token does not match the topic.
    public static let deviceTokenNotForTopic = RejectionReason("DeviceTokenNotForTopic", status: 400, consequence: .permanent)
    /// 400 A header was repeated.
    public static let duplicateHeaders = RejectionReason("DuplicateHeaders", status: 400, consequence: .permanent)
    /// 400 The connection idled out; the request was not processed.
    public static let idleTimeout = RejectionReason("IdleTimeout", status: 400, consequence: .transient)
    /// 400 The `apns-push-type` value is invalid.
    public static let invalidPushType = RejectionReason("InvalidPushType", status: 400, consequence: .permanent)
    /// 400 The path has no device token.
    public static let missingDeviceToken = RejectionReason("MissingDeviceToken", status: 400, consequence: .permanent)
    /// 400 `apns-topic` is required and missing.
    public static let missingTopic = RejectionReason("MissingTopic", status: 400, consequence: .permanent)
    /// 400 The payload is empty.
    public static let payloadEmpty = RejectionReason("PayloadEmpty", status: 400, consequence: .permanent)
    /// 400 Pushing to this topic is not allowed.
    public static let topicDisallowed = RejectionReason("TopicDisallowed", status: 400, consequence: .permanent)
    /// 403 The certificate is bad.
    public static let badCertificate = RejectionReason("BadCertificate", status: 403, consequence: .credentials)
    /// 403 The certificate is for the other environment.
    public static let badCertificateEnvironment = RejectionReason("BadCertificateEnvironment", status: 403, consequence: .credentials)
    /// 403 The provider token is stale (older than an hour): reissue.
    public static let expiredProviderToken = RejectionReason("ExpiredProviderToken", status: 403, consequence: .credentials)
    /// 403 The action is forbidden.
    public static let forbidden = RejectionReason("Forbidden", status: 403, consequence: .permanent)
    /// 403 The provider token is not valid or its signature cannot be verified.
    public static let invalidProviderToken = RejectionReason("InvalidProviderToken", status: 403, consequence: .credentials)
    /// 403 No provider certificate or token was given.
    public static let missingProviderToken = RejectionReason("MissingProviderToken", status: 403, consequence: .credentials)
    /// 404 The request path is wrong.
    public static let badPath = RejectionReason("BadPath", status: 404, consequence: .permanent)
    /// 405 Only POST is supported.
    public static let methodNotAllowed = RejectionReason("MethodNotAllowed", status: 405, consequence: .permanent)
    /// 410 The token expired: the token leaves the index.
    public static let expiredToken = RejectionReason("ExpiredToken", status: 410, consequence: .invalidToken)
    /// 410 The token is no longer active for the topic: the token leaves the index.
    public static let unregistered = RejectionReason("Unregistered", status: 410, consequence: .invalidToken)
    /// 413 The payload is too large.
    public static let payloadTooLarge = RejectionReason("PayloadTooLarge", status: 413, consequence: .permanent)
    /// 429 The provider token changed too often. A client bug if it ever happens; not retried.
    public static let tooManyProviderTokenUpdates = RejectionReason("TooManyProviderTokenUpdates", status: 429, consequence: .permanent)
    /// 429 Too many requests to the same token: retry later.
    public static let tooManyRequests = RejectionReason("TooManyRequests", status: 429, consequence: .transient)
    /// 500 Internal server error: retry later.
    public static let internalServerError = RejectionReason("InternalServerError", status: 500, consequence: .transient)
    /// 503 The service is unavailable: retry later.
    public static let serviceUnavailable = RejectionReason("ServiceUnavailable", status: 503, consequence: .transient)
    /// 503 The server is shutting down: retry later.
    public static let shutdown = RejectionReason("Shutdown", status: 503, consequence: .transient)

    /// Every APNs reason above, by wire value.
    public static let apnsReasons: [String: RejectionReason] = {
        let all: [RejectionReason] = [
            .badCollapseId, .badDeviceToken, .badExpirationDate, .badMessageId, .badPriority, .badTopic,
            .deviceTokenNotForTopic, .duplicateHeaders, .idleTimeout, .invalidPushType, .missingDeviceToken,
            .missingTopic, .payloadEmpty, .topicDisallowed, .badCertificate, .badCertificateEnvironment,
            .expiredProviderToken, .forbidden, .invalidProviderToken, .missingProviderToken, .badPath,
            .methodNotAllowed, .expiredToken, .unregistered, .payloadTooLarge, .tooManyProviderTokenUpdates,
            .tooManyRequests, .internalServerError, .serviceUnavailable, .shutdown,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.wireValue, $0) })
    }()

    /// The APNs reason for a wire string and status; ``unknown(_:status:)`` when not in Apple's table.
    public static func apns(_ wireValue: String, status: Int) -> RejectionReason {
        apnsReasons[wireValue] ?? .unknown(wireValue, status: status)
    }
}

// MARK: - FCM HTTP v1 errors (`errorCode` of FcmError, else `status`)

extension RejectionReason {
    /// 404 The registration token is no longer valid: the token leaves the index.
    public static let fcmUnregistered = RejectionReason("UNREGISTERED", status: 404, consequence: .invalidToken)
    /// 400 The registration token is malformed: the token leaves the index.
    public static let fcmInvalidToken = RejectionReason("INVALID_ARGUMENT", status: 400, consequence: .invalidToken)
    /// 400 The message is invalid (not the token): `push_error`.
    public static let fcmInvalidArgument = RejectionReason("INVALID_ARGUMENT", status: 400, consequence: .permanent)
    /// 403 The token belongs to another sender: `push_error`.
    public static let fcmSenderIDMismatch = RejectionReason("SENDER_ID_MISMATCH", status: 403, consequence: .permanent)
    /// 401 The access token or APNs credentials behind FCM were refused: refresh once, then flag.
    public static let fcmThirdPartyAuthError = RejectionReason("THIRD_PARTY_AUTH_ERROR", status: 401, consequence: .credentials)
    /// 401 The OAuth2 access token was refused: refresh once, then flag.
    public static let fcmUnauthenticated = RejectionReason("UNAUTHENTICATED", status: 401, consequence: .credentials)
    /// 429 The project's quota is exhausted: retry after `retry-after`.
    public static let fcmQuotaExceeded = RejectionReason("QUOTA_EXCEEDED", status: 429, consequence: .transient)
    /// 500 Internal error: retry later.
    public static let fcmInternal = RejectionReason("INTERNAL", status: 500, consequence: .transient)
    /// 503 Unavailable: retry later.
    public static let fcmUnavailable = RejectionReason("UNAVAILABLE", status: 503, consequence: .transient)
}
