/// An APNs rejection: Apple's status code paired with its `reason` string.
///
/// An extensible struct rather than an enum, so a reason Apple adds later can still be expressed
/// (`APNsReason(status:name:)`). `BadPayload` is this gateway's own: Apple documents no reason for
/// a body that is JSON but has no `aps` dictionary.
public struct APNsReason: Error, Sendable, Hashable, CustomStringConvertible {
    /// HTTP status Apple answers with.
    public let status: Int
    /// The `reason` string of the JSON body.
    public let name: String

    /// Creates a reason.
    public init(status: Int, name: String) {
        self.status = status
        self.name = name
    }

    /// `status name`.
    public var description: String { "\(status) \(name)" }

    /// 400: the collapse ID exceeds 64 bytes.
    public static let badCollapseId = APNsReason(status: 400, name: "BadCollapseId")
    /// 400: the token is not even-length hex of 32–100 bytes (or a scenario says so).
    public static let badDeviceToken = APNsReason(status: 400, name: "BadDeviceToken")
    /// 400: `apns-expiration` is not a non-negative integer.
    public static let badExpirationDate = APNsReason(status: 400, name: "BadExpirationDate")
    /// 400: `apns-id` is not a UUID.
    public static let badMessageId = APNsReason(status: 400, name: "BadMessageId")
    /// 400: `apns-priority` is not 10, 5 or 1.
    public static let badPriority = APNsReason(status: 400, name: "BadPriority")
    /// 400: `apns-topic` is malformed or lacks the suffix its push type needs.
    public static let badTopic = APNsReason(status: 400, name: "BadTopic")
    /// 400: the token belongs to another topic (scenario).
    public static let deviceTokenNotForTopic = APNsReason(status: 400, name: "DeviceTokenNotForTopic")
    /// 400: a header was repeated.
    public static let duplicateHeaders = APNsReason(status: 400, name: "DuplicateHeaders")
    /// 400: `apns-push-type` is not a known type.
    public static let invalidPushType = APNsReason(status: 400, name: "InvalidPushType")
    /// 400: the path has no device token.
    public static let missingDeviceToken = APNsReason(status: 400, name: "MissingDeviceToken")
    /// 400: no `apns-topic`.
    public static let missingTopic = APNsReason(status: 400, name: "MissingTopic")
    /// 400: empty body.
    public static let payloadEmpty = APNsReason(status: 400, name: "PayloadEmpty")
    /// 400: the topic is not one this gateway was configured to accept.
    public static let topicDisallowed = APNsReason(status: 400, name: "TopicDisallowed")
    /// 400 (gateway-specific): the body is not a JSON object with an `aps` dictionary.
    public static let badPayload = APNsReason(status: 400, name: "BadPayload")
    /// 403: the provider token is older than one hour.
    public static let expiredProviderToken = APNsReason(status: 403, name: "ExpiredProviderToken")
    /// 403: the provider token does not verify, names an unknown key, or `iss` is not the key's team.
    public static let invalidProviderToken = APNsReason(status: 403, name: "InvalidProviderToken")
    /// 403: no `authorization: bearer …` header.
    public static let missingProviderToken = APNsReason(status: 403, name: "MissingProviderToken")
    /// 404: the path is not `/3/device/<token>`.
    public static let badPath = APNsReason(status: 404, name: "BadPath")
    /// 405: the method is not POST.
    public static let methodNotAllowed = APNsReason(status: 405, name: "MethodNotAllowed")
    /// 410: the token is no longer active for the topic (answers carry a timestamp).
    public static let unregistered = APNsReason(status: 410, name: "Unregistered")
    /// 413: the payload exceeds 4096 bytes (5120 for VoIP).
    public static let payloadTooLarge = APNsReason(status: 413, name: "PayloadTooLarge")
    /// 429: the connection changed its provider token within 20 minutes of the last change.
    public static let tooManyProviderTokenUpdates = APNsReason(status: 429, name: "TooManyProviderTokenUpdates")
    /// 429: too many requests for the same token (scenario).
    public static let tooManyRequests = APNsReason(status: 429, name: "TooManyRequests")
    /// 500: internal error (scenario).
    public static let internalServerError = APNsReason(status: 500, name: "InternalServerError")
    /// 503: unavailable (scenario).
    public static let serviceUnavailable = APNsReason(status: 503, name: "ServiceUnavailable")
}
