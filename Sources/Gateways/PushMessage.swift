/// What a notification says, independent of the gateway: the fields of the reference
/// platform's `message`, plus its `deeplink`, `media` and `custom_payload`.
public struct PushMessage: Sendable, Hashable {
    /// Alert title.
    public var title: String?
    /// Alert subtitle (APNs only).
    public var subtitle: String?
    /// Alert body.
    public var body: String?
    /// App icon badge (APNs).
    public var badge: Int?
    /// Sound name (`default` for the system sound).
    public var sound: String?
    /// Notification category (APNs `category`; FCM `click_action`).
    public var category: String?
    /// Thread identifier for grouping (APNs `thread-id`; FCM `tag`).
    public var threadID: String?
    /// APNs `mutable-content: 1` (lets a service extension change the notification).
    public var mutableContent: Bool
    /// APNs `content-available: 1` (a background update).
    public var contentAvailable: Bool
    /// Deeplink opened on tap, sent as the custom key `deeplink`.
    public var deeplink: String?
    /// Media URL (rich notifications), sent as the custom key `media-url` (FCM: `image`).
    public var mediaURL: String?
    /// Custom keys at the payload's top level (APNs) or as `data` strings (FCM).
    public var customPayload: [(String, PayloadValue)]

    /// Creates a message.
    public init(
        title: String? = nil, subtitle: String? = nil, body: String? = nil, badge: Int? = nil,
        sound: String? = nil, category: String? = nil, threadID: String? = nil,
        mutableContent: Bool = false, contentAvailable: Bool = false,
        deeplink: String? = nil, mediaURL: String? = nil, customPayload: [(String, PayloadValue)] = []
    ) {
        self.title = title
        self.subtitle = subtitle
        self.body = body
        self.badge = badge
        self.sound = sound
        self.category = category
        self.threadID = threadID
        self.mutableContent = mutableContent
        self.contentAvailable = contentAvailable
        self.deeplink = deeplink
        self.mediaURL = mediaURL
        self.customPayload = customPayload
    }

    /// Compares every field, custom keys in order.
    public static func == (lhs: PushMessage, rhs: PushMessage) -> Bool {
        lhs.title == rhs.title && lhs.subtitle == rhs.subtitle && lhs.body == rhs.body && lhs.badge == rhs.badge
            && lhs.sound == rhs.sound && lhs.category == rhs.category && lhs.threadID == rhs.threadID
            && lhs.mutableContent == rhs.mutableContent && lhs.contentAvailable == rhs.contentAvailable
            && lhs.deeplink == rhs.deeplink && lhs.mediaURL == rhs.mediaURL
            && PayloadValue.object(lhs.customPayload) == PayloadValue.object(rhs.customPayload)
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(title)
        hasher.combine(body)
        hasher.combine(PayloadValue.object(customPayload))
    }
}
