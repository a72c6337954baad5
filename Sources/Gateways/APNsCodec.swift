public import HTTP2Transport
public import PushModel
import PushJSON

/// `apns-push-type`.
public struct APNsPushType: Sendable, Hashable, CustomStringConvertible {
    /// The header value.
    public let rawValue: String
    /// Creates a push type from its header value.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// A visible alert.
    public static let alert = APNsPushType("alert")
    /// A background update (`content-available`, priority 5).
    public static let background = APNsPushType("background")
    /// A VoIP call (topic suffix `.voip`; payload limit 5120 bytes).
    public static let voip = APNsPushType("voip")
    /// A Live Activity update (topic suffix `.push-type.liveactivity`).
    public static let liveActivity = APNsPushType("liveactivity")
    /// The header value.
    public var description: String { rawValue }
}

/// Per-send APNs options: the headers that are the same for every token of a campaign.
public struct APNsOptions: Sendable, Hashable {
    /// `apns-topic`: the bundle ID (with the suffix some push types need).
    public var topic: String
    /// `apns-push-type`.
    public var pushType: APNsPushType
    /// `apns-priority`; nil leaves APNs' default.
    public var priority: APNsPriority?
    /// `apns-expiration`; nil: not sent.
    public var expiration: APNsExpiration?
    /// `apns-collapse-id` (at most 64 bytes).
    public var collapseID: String?
    /// Send an `apns-id` with every request (see ``APNsSendTemplate/apnsID(for:)``), so the
    /// sender knows each notification's ID in advance; off by default (APNs then assigns one).
    public var sendsAPNsID: Bool

    /// Creates options.
    public init(topic: String, pushType: APNsPushType = .alert, priority: APNsPriority? = nil,
                expiration: APNsExpiration? = nil, collapseID: String? = nil, sendsAPNsID: Bool = false) {
        self.topic = topic
        self.pushType = pushType
        self.priority = priority
        self.expiration = expiration
        self.collapseID = collapseID
        self.sendsAPNsID = sendsAPNsID
    }
}

/// APNs request building and response decoding.
public enum APNsCodec {
    /// The payload limit for `pushType`: 5120 bytes for VoIP, 4096 otherwise.
    public static func payloadLimit(for pushType: APNsPushType) -> Int {
        pushType == .voip ? 5120 : 4096
    }

    /// Encodes the `aps` payload of `message` (built once per campaign or variant).
    /// - Throws: ``GatewayError/payloadTooLarge(size:limit:pushType:)`` over the limit, and
    ///   ``GatewayError/invalidField(field:reason:)`` for a custom key named `aps`.
    public static func payload(for message: PushMessage, pushType: APNsPushType = .alert) throws(GatewayError) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.beginObject("aps")
        let hasAlert = message.title != nil || message.subtitle != nil || message.body != nil
        if hasAlert {
            w.beginObject("alert")
            if let t = message.title { w.field("title", .string(t)) }
            if let s = message.subtitle { w.field("subtitle", .string(s)) }
            if let b = message.body { w.field("body", .string(b)) }
            w.endObject()
        }
        if let badge = message.badge { w.field("badge", .int(Int64(badge))) }
        if let sound = message.sound { w.field("sound", .string(sound)) }
        if let category = message.category { w.field("category", .string(category)) }
        if let thread = message.threadID { w.field("thread-id", .string(thread)) }
        if message.mutableContent { w.field("mutable-content", .int(1)) }
        if message.contentAvailable { w.field("content-available", .int(1)) }
        w.endObject()
        if let deeplink = message.deeplink { w.field("deeplink", .string(deeplink)) }
        if let media = message.mediaURL { w.field("media-url", .string(media)) }
        for (key, value) in message.customPayload {
            if key == "aps" { throw .invalidField(field: "custom_payload.aps", reason: "the key `aps` is reserved for APNs") }
            w.field(key, value)
        }
        w.endObject()
        let limit = payloadLimit(for: pushType)
        guard w.bytes.count <= limit else {
            throw .payloadTooLarge(size: w.bytes.count, limit: limit, pushType: pushType.rawValue)
        }
        return w.bytes
    }

    /// The constant headers of every request of a send, in one prebuilt block: topic, push type,
    /// priority, expiration, collapse ID and (token auth) `authorization`.
    /// - Throws: ``GatewayError/invalidField(field:reason:)`` for a collapse ID over 64 bytes.
    public static func headerBlock(options: APNsOptions, authorization: String?) throws(GatewayError) -> HTTP2HeaderBlock {
        var fields = [
            HTTP2HeaderField("apns-topic", options.topic),
            HTTP2HeaderField("apns-push-type", options.pushType.rawValue),
        ]
        if let p = options.priority {
            fields.append(HTTP2HeaderField("apns-priority", String(p.rawValue)))
        }
        if let e = options.expiration {
            fields.append(HTTP2HeaderField("apns-expiration", String(e.headerValue)))
        }
        if let c = options.collapseID {
            guard c.utf8.count <= 64 else { throw .invalidField(field: "collapse_id", reason: "\(c.utf8.count) bytes, APNs allows 64") }
            fields.append(HTTP2HeaderField("apns-collapse-id", c))
        }
        if let authorization { fields.append(HTTP2HeaderField("authorization", authorization)) }
        return HTTP2HeaderBlock(fields, sensitive: ["authorization"])
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `/3/device/<hex token>`.
    public static func path(for token: DeviceToken) -> String {
        token.withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: 10 + raw.count * 2) { out in
                var i = 0
                for b in "/3/device/".utf8 { out[i] = b; i += 1 }
                for b in raw {
                    out[i] = hexDigits[Int(b >> 4)]; out[i + 1] = hexDigits[Int(b & 15)]
                    i += 2
                }
                return i
            }
        }
    }

    /// Decodes one completion into an outcome. Transport failures that are safe to retry and
    /// 429/5xx answers are `.failed`; other answers with a `reason` are `.rejected`.
    public static func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome {
        switch result {
        case .failure(let error):
            return transportOutcome(error)
        case .success(let response):
            if response.status == 200 { return .accepted }
            let body = try? JSONValue.parse(response.body)
            let reasonText = body?["reason"]?.stringValue ?? "HTTP \(response.status)"
            let reason = RejectionReason.apns(reasonText, status: response.status)
            if reason.consequence == .transient {
                return .failed(TransientFailure(reason: reason.wireValue, retryAfter: retryAfter(response), status: response.status))
            }
            let invalidatedAt = body?["timestamp"]?.integerValue.map { Timestamp(millisecondsSince1970: $0) }
            return .rejected(reason, invalidatedAt: invalidatedAt)
        }
    }

    /// Transport failures: retryable ones are `.failed`; the rest are permanent rejections
    /// named after the error (the request cannot be sent this way).
    static func transportOutcome(_ error: HTTP2TransportError) -> DeliveryOutcome {
        if error.isRetryable { return .failed(TransientFailure(reason: error.description)) }
        return .rejected(.unknown("Transport: \(error.description)", status: 0), invalidatedAt: nil)
    }

    /// `retry-after` in seconds, when present and sane.
    static func retryAfter(_ response: HTTP2Response) -> Duration? {
        guard let text = response.value(of: "retry-after"), let seconds = Int64(text), seconds >= 0, seconds < 86_400 else { return nil }
        return .seconds(seconds)
    }
}
