public import HTTP2Transport
public import PushCrypto
public import PushModel
import PushJSON

/// A Google service account, from the JSON file the Firebase console hands out.
public struct FCMServiceAccount: Sendable {
    /// `project_id`: the `{project}` of `/v1/projects/{project}/messages:send`.
    public let projectID: String
    /// `client_email`: the assertion's `iss`.
    public let clientEmail: String
    /// `private_key`: signs the assertion (RS256).
    public let privateKey: RSAPrivateKey
    /// `token_uri`: where the assertion is exchanged for an access token (the assertion's `aud`).
    public let tokenURI: String

    /// Creates an account from its parts.
    public init(projectID: String, clientEmail: String, privateKey: RSAPrivateKey, tokenURI: String) {
        self.projectID = projectID
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.tokenURI = tokenURI
    }

    /// Parses the service-account JSON.
    /// - Throws: ``GatewayError/invalidCredentials(context:)`` naming the missing or bad field.
    public init(json: [UInt8]) throws(GatewayError) {
        guard let doc = try? JSONValue.parse(json), doc.objectValue != nil else {
            throw .invalidCredentials(context: "service account: not a JSON object")
        }
        func field(_ name: String) throws(GatewayError) -> String {
            guard let value = doc[name]?.stringValue, !value.isEmpty else {
                throw .invalidCredentials(context: "service account: missing or empty \(name)")
            }
            return value
        }
        projectID = try field("project_id")
        clientEmail = try field("client_email")
        tokenURI = try field("token_uri")
        do {
            privateKey = try RSAPrivateKey(pemRepresentation: try field("private_key"))
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .invalidCredentials(context: "service account: private_key: \(error)")
        }
    }
}

/// FCM HTTP v1: request bodies, the OAuth2 JWT-bearer grant, and error mapping.
public enum FCMCodec {
    /// The OAuth2 scope FCM sends need.
    public static let scope = "https://www.googleapis.com/auth/firebase.messaging"

    /// A signed RS256 assertion for the JWT-bearer grant (valid `lifetime` seconds, at most 3600).
    /// - Throws: ``GatewayError/invalidCredentials(context:)`` when signing fails.
    public static func assertion(for account: FCMServiceAccount, issuedAt now: Int64, lifetime: Int64 = 3600) throws(GatewayError) -> String {
        var claims = JSONWriter()
        claims.beginObject()
        claims.field("iss", .string(account.clientEmail))
        claims.field("scope", .string(scope))
        claims.field("aud", .string(account.tokenURI))
        claims.field("iat", .int(now))
        claims.field("exp", .int(now + min(lifetime, 3600)))
        claims.endObject()
        do {
            return try JWSCompact.sign(header: assertionHeader, claims: claims.bytes,
                                       signer: RS256Signer(key: account.privateKey)).compact
        } catch {
            throw .invalidCredentials(context: "signing the FCM assertion for \(account.clientEmail): \(error)")
        }
    }

    /// `{"alg":"RS256","typ":"JWT"}`.
    private static let assertionHeader: [UInt8] = {
        var header = JSONWriter(capacity: 32)
        header.beginObject()
        header.string("alg", "RS256")
        header.string("typ", "JWT")
        header.endObject()
        return header.bytes
    }()

    /// The form body of the token request.
    public static func tokenRequestBody(assertion: String) -> [UInt8] {
        Array("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)".utf8)
    }

    /// The access token and its lifetime from the token endpoint's answer.
    /// - Throws: ``GatewayError/tokenEndpoint(status:detail:)`` for an error answer or a body without a token.
    public static func accessToken(status: Int, body: [UInt8]) throws(GatewayError) -> (token: String, expiresIn: Int64) {
        let doc = try? JSONValue.parse(body)
        guard status == 200 else {
            let detail = [doc?["error"]?.stringValue, doc?["error_description"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
            throw .tokenEndpoint(status: status, detail: detail.isEmpty ? "no error description" : detail)
        }
        guard let token = doc?["access_token"]?.stringValue, !token.isEmpty, let expires = doc?["expires_in"]?.integerValue, expires > 0 else {
            throw .tokenEndpoint(status: status, detail: "answer has no access_token / expires_in")
        }
        return (token, expires)
    }

    /// `/v1/projects/{project}/messages:send`.
    public static func path(project: String) -> String { "/v1/projects/\(project)/messages:send" }

    /// The body of every request of a send, split around the token: `prefix + token + suffix`.
    /// Built once per send; custom payload values that are not strings are sent as their JSON text
    /// (FCM `data` values must be strings).
    /// - Throws: ``GatewayError/payloadTooLarge(size:limit:pushType:)`` when notification and data
    ///   exceed FCM's 4096 bytes.
    public static func bodyParts(for message: PushMessage, options: FCMOptions) throws(GatewayError) -> (prefix: [UInt8], suffix: [UInt8]) {
        var w = JSONWriter()
        w.beginObject()
        w.beginObject("message")
        w.key("token")
        let tokenStart = w.bytes.count + 1  // after the opening quote of the (empty) token
        w.string("")
        let afterToken = w.bytes.count
        let hasNotification = message.title != nil || message.body != nil || message.mediaURL != nil
        if hasNotification {
            w.beginObject("notification")
            if let t = message.title { w.field("title", .string(t)) }
            if let b = message.body { w.field("body", .string(b)) }
            if let m = message.mediaURL { w.field("image", .string(m)) }
            w.endObject()
        }
        var data: [(String, PayloadValue)] = []
        if let d = message.deeplink { data.append(("deeplink", .string(d))) }
        for (key, value) in message.customPayload {
            if case .string(let s) = value {
                data.append((key, .string(s)))
            } else {
                var text = JSONWriter()
                text.value(value)
                data.append((key, .string(String(decoding: text.bytes, as: UTF8.self))))
            }
        }
        // The notification member with one byte of punctuation (`,` here, `{` when it was
        // measured on its own), or that one byte alone, plus the data object.
        let notificationSize = hasNotification ? w.bytes.count - afterToken : 1
        let payloadSize = notificationSize + PayloadValue.object(data).encodedCount
        if !data.isEmpty { w.field("data", .object(data)) }
        var android: [(String, PayloadValue)] = []
        if let p = options.priority { android.append(("priority", .string(p == .high ? "HIGH" : "NORMAL"))) }
        if let ttl = options.timeToLive { android.append(("ttl", .string("\(ttl)s"))) }
        if let c = options.collapseKey { android.append(("collapse_key", .string(c))) }
        var androidNotification: [(String, PayloadValue)] = []
        if let s = message.sound { androidNotification.append(("sound", .string(s))) }
        if let c = message.category { androidNotification.append(("click_action", .string(c))) }
        if let t = message.threadID { androidNotification.append(("tag", .string(t))) }
        if !androidNotification.isEmpty { android.append(("notification", .object(androidNotification))) }
        if !android.isEmpty { w.field("android", .object(android)) }
        w.endObject()
        w.endObject()
        guard payloadSize <= 4096 else { throw .payloadTooLarge(size: payloadSize, limit: 4096, pushType: "fcm") }
        // Split where the token goes: between the empty token's quotes.
        return (Array(w.bytes[..<tokenStart]), Array(w.bytes[tokenStart...]))
    }

    /// The outcome of one FCM answer or transport failure.
    public static func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome {
        switch result {
        case .failure(let error):
            return APNsCodec.transportOutcome(error)
        case .success(let response):
            if response.status == 200 { return .accepted }
            let error = (try? JSONValue.parse(response.body))?["error"]
            let status = error?["status"]?.stringValue
            let details = error?["details"]?.arrayValue ?? []
            let fcmCode = details.lazy.compactMap { $0["errorCode"]?.stringValue }.first
            let message = error?["message"]?.stringValue ?? ""
            let code = fcmCode ?? status ?? "HTTP \(response.status)"
            let reason: RejectionReason
            switch code {
            case "UNREGISTERED": reason = .fcmUnregistered
            case "INVALID_ARGUMENT":
                let aboutToken = message.lowercased().contains("registration token")
                    || details.contains { d in (d["fieldViolations"]?.arrayValue ?? []).contains { $0["field"]?.stringValue == "message.token" } }
                reason = aboutToken ? .fcmInvalidToken : .fcmInvalidArgument
            case "SENDER_ID_MISMATCH": reason = .fcmSenderIDMismatch
            case "THIRD_PARTY_AUTH_ERROR": reason = .fcmThirdPartyAuthError
            case "UNAUTHENTICATED": reason = .fcmUnauthenticated
            case "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED": reason = .fcmQuotaExceeded
            case "INTERNAL": reason = .fcmInternal
            case "UNAVAILABLE": reason = .fcmUnavailable
            default: reason = .unknown(code, status: response.status)
            }
            if reason.consequence == .transient {
                return .failed(TransientFailure(reason: reason.wireValue, retryAfter: APNsCodec.retryAfter(response), status: response.status))
            }
            return .rejected(reason, invalidatedAt: nil)
        }
    }
}

/// Android delivery options of a send.
public struct FCMOptions: Sendable, Hashable {
    /// `android.priority`.
    public enum Priority: Sendable, Hashable {
        /// `NORMAL`.
        case normal
        /// `HIGH`.
        case high
    }

    /// `android.priority`; nil: FCM's default.
    public var priority: Priority?
    /// `android.ttl` in seconds.
    public var timeToLive: Int?
    /// `android.collapse_key`.
    public var collapseKey: String?

    /// Creates options.
    public init(priority: Priority? = nil, timeToLive: Int? = nil, collapseKey: String? = nil) {
        self.priority = priority
        self.timeToLive = timeToLive
        self.collapseKey = collapseKey
    }
}

/// Supplies FCM access tokens (cached, refreshed before expiry) to send templates.
public protocol FCMAccessTokenProvider: Sendable {
    /// The current access token as an `authorization` value (`Bearer …`) and its generation.
    /// - Throws: ``GatewayError`` when no token can be obtained.
    func current() throws(GatewayError) -> (authorization: String, generation: UInt64)
    /// FCM refused the token of `generation` (401): fetch a new one next time.
    func invalidate(generation: UInt64)
}

/// An FCM send: body parts built once, a header block rebuilt when the access token changes.
public final class FCMSendTemplate: GatewaySendTemplate {
    /// The path every request posts to.
    public let path: String
    /// The languages with their own variant.
    public let languages: LanguageVariants
    private let parts: [(prefix: [UInt8], suffix: [UInt8])]
    private let tokens: any FCMAccessTokenProvider
    private let block: HeaderBlockCache

    /// Builds the body parts (once per variant) and the first header block (fetching an access
    /// token if needed).
    /// - Parameter variants: per-language messages; installations whose language has none get `message`.
    /// - Throws: ``GatewayError`` for a payload over 4096 bytes (any variant) or unobtainable credentials.
    public init(message: PushMessage, variants: [LanguageCode: PushMessage] = [:], options: FCMOptions = FCMOptions(),
                projectID: String, tokens: any FCMAccessTokenProvider) throws(GatewayError) {
        languages = LanguageVariants(variants)
        var parts = [try FCMCodec.bodyParts(for: message, options: options)]
        for language in languages.languages { parts.append(try FCMCodec.bodyParts(for: variants[language]!, options: options)) }
        self.parts = parts
        path = FCMCodec.path(project: projectID)
        self.tokens = tokens
        let current = try tokens.current()
        block = HeaderBlockCache(generation: current.generation, block: FCMSendTemplate.headerBlock(current.authorization))
    }

    static func headerBlock(_ authorization: String) -> HTTP2HeaderBlock {
        HTTP2HeaderBlock([HTTP2HeaderField("content-type", "application/json"), HTTP2HeaderField("authorization", authorization)],
                         sensitive: ["authorization"])
    }

    /// `.android`.
    public var platform: Platform { .android }

    /// One per language variant, plus the default.
    public var variantCount: Int { parts.count }

    /// The variant of `language` (see ``LanguageVariants``).
    public func variant(for language: LanguageCode?) -> Int { languages.variant(for: language) }

    /// One `POST …/messages:send` per target; the body is `prefix + token + suffix`.
    public func makeRequests(_ targets: [(token: DeviceToken, tag: UInt64, variant: Int)], timeout: Duration?) throws(GatewayError)
        -> (requests: [HTTP2Request], credentialGeneration: UInt64) {
        let current = try tokens.current()
        var cached = block.current
        if cached.generation != current.generation {
            let rebuilt = FCMSendTemplate.headerBlock(current.authorization)
            block.replace(generation: current.generation, block: rebuilt)
            cached = (rebuilt, current.generation)
        }
        var requests: [HTTP2Request] = []
        requests.reserveCapacity(targets.count)
        for t in targets {
            let (prefix, suffix) = parts[t.variant < parts.count ? t.variant : 0]
            var body: [UInt8] = []
            body.reserveCapacity(prefix.count + t.token.count + suffix.count)
            body.append(contentsOf: prefix)
            // FCM tokens are printable ASCII, but `"` and `\` would end or escape the JSON string.
            t.token.withUnsafeBytes { raw in JSONWriter.appendEscaped(raw, to: &body) }
            body.append(contentsOf: suffix)
            requests.append(HTTP2Request(path: path, headerBlock: cached.block, body: body, timeout: timeout, tag: t.tag))
        }
        return (requests, cached.generation)
    }

    /// ``FCMCodec/outcome(of:)``.
    public func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome {
        FCMCodec.outcome(of: result)
    }

    /// Asks the provider for a new access token.
    public func credentialsRejected(generation: UInt64) {
        tokens.invalidate(generation: generation)
    }
}

extension PayloadValue {
    /// Bytes of the JSON encoding.
    var encodedCount: Int {
        var w = JSONWriter()
        w.value(self)
        return w.bytes.count
    }
}
