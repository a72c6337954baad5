public import Gateways
public import PushModel

/// A notification to send: what it says, and the APNs options that are not the app's.
public struct PushNotification: Sendable {
    /// The content: the default message, for installations whose language has no variant.
    public var message: PushMessage
    /// Per-language variants (title, body, …): an installation whose language is a key gets
    /// that message. Each variant's payload is encoded once per send, not per token.
    public var variants: [LanguageCode: PushMessage]
    /// Send an `apns-id` with every APNs request (``APNsSendTemplate/apnsID(for:)``); off by default.
    public var sendsAPNsID: Bool
    /// `apns-push-type`.
    public var pushType: APNsPushType
    /// `apns-priority`; nil: APNs' default.
    public var priority: APNsPriority?
    /// `apns-expiration`; nil: not sent.
    public var expiration: APNsExpiration?
    /// `apns-collapse-id`.
    public var collapseID: String?
    /// Android options (priority, time to live, collapse key).
    public var fcm: FCMOptions

    /// Creates a notification.
    public init(message: PushMessage, variants: [LanguageCode: PushMessage] = [:], pushType: APNsPushType = .alert,
                priority: APNsPriority? = nil, expiration: APNsExpiration? = nil, collapseID: String? = nil, sendsAPNsID: Bool = false,
                fcm: FCMOptions = FCMOptions()) {
        self.message = message
        self.variants = variants
        self.sendsAPNsID = sendsAPNsID
        self.fcm = fcm
        self.pushType = pushType
        self.priority = priority
        self.expiration = expiration
        self.collapseID = collapseID
    }
}

