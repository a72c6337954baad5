import HTTP2Transport
import PushCrypto
import Synchronization
import PushJSON

/// An FCM HTTP v1 error: HTTP status, Google's canonical `status`, and the FCM `errorCode`.
public struct FCMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// HTTP status (`error.code`).
    public let code: Int
    /// Canonical status (`error.status`).
    public let status: String
    /// `error.details[].errorCode` (nil for plain OAuth failures).
    public let errorCode: String?
    /// `error.message`.
    public let message: String
    /// The field a `google.rpc.BadRequest` detail names, with its description (nil: no such detail).
    public let fieldViolation: (field: String, description: String)?

    /// Creates an error.
    public init(code: Int, status: String, errorCode: String?, message: String,
                fieldViolation: (field: String, description: String)? = nil) {
        self.code = code
        self.status = status
        self.errorCode = errorCode
        self.message = message
        self.fieldViolation = fieldViolation
    }

    /// Compares every field.
    public static func == (a: FCMError, b: FCMError) -> Bool {
        a.code == b.code && a.status == b.status && a.errorCode == b.errorCode && a.message == b.message
            && a.fieldViolation?.field == b.fieldViolation?.field && a.fieldViolation?.description == b.fieldViolation?.description
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(status)
        hasher.combine(errorCode)
        hasher.combine(message)
        hasher.combine(fieldViolation?.field)
    }

    /// `code errorCode`.
    public var description: String { "\(code) \(errorCode ?? status)" }

    /// The reason the statistics count it under.
    var statisticsReason: String { errorCode ?? status }

    /// 404: the registration token is no longer valid.
    public static let unregistered = FCMError(code: 404, status: "NOT_FOUND", errorCode: "UNREGISTERED", message: "Requested entity was not found.")
    /// 400: the message is invalid (no detail names the token).
    public static let invalidArgument = FCMError(code: 400, status: "INVALID_ARGUMENT", errorCode: "INVALID_ARGUMENT", message: "Request contains an invalid argument.")
    /// 400: the registration token is not a valid FCM token, in Google's shape: the FCM error
    /// code INVALID_ARGUMENT plus a `google.rpc.BadRequest` detail whose field violation names
    /// `message.token`.
    public static let invalidRegistrationToken = FCMError(
        code: 400, status: "INVALID_ARGUMENT", errorCode: "INVALID_ARGUMENT",
        message: "The registration token is not a valid FCM registration token",
        fieldViolation: ("message.token", "The registration token is not a valid FCM registration token"))
    /// 400: a message field is invalid (a `google.rpc.BadRequest` detail names `message.android.ttl`),
    /// the answer of the `invalid_argument` scenario rule.
    public static let invalidMessageField = FCMError(
        code: 400, status: "INVALID_ARGUMENT", errorCode: "INVALID_ARGUMENT",
        message: "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format; duration must end with 's'",
        fieldViolation: ("message.android.ttl", "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format; duration must end with 's'"))
    /// 403: the token belongs to another sender.
    public static let senderIDMismatch = FCMError(code: 403, status: "PERMISSION_DENIED", errorCode: "SENDER_ID_MISMATCH", message: "SenderId mismatch")
    /// 429: quota exceeded (answered with `retry-after`).
    public static let quotaExceeded = FCMError(code: 429, status: "RESOURCE_EXHAUSTED", errorCode: "QUOTA_EXCEEDED", message: "Quota exceeded for quota metric 'Send requests'.")
    /// 503: temporarily unavailable.
    public static let unavailable = FCMError(code: 503, status: "UNAVAILABLE", errorCode: "UNAVAILABLE", message: "The service is currently unavailable.")
    /// 500: internal error.
    public static let `internal` = FCMError(code: 500, status: "INTERNAL", errorCode: "INTERNAL", message: "Internal error encountered.")
    /// 401: no bearer, or one this gateway did not issue.
    public static let unauthenticated = FCMError(code: 401, status: "UNAUTHENTICATED", errorCode: nil, message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
    /// 405: only POST is served.
    public static let methodNotAllowed = FCMError(code: 405, status: "METHOD_NOT_ALLOWED", errorCode: nil, message: "Only POST is supported.")
    /// 404: not a messages:send path.
    public static let notFound = FCMError(code: 404, status: "NOT_FOUND", errorCode: nil, message: "The requested URL was not found.")

    /// Google's error JSON.
    public var body: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.int("code", Int64(code))
        writer.string("message", message)
        writer.string("status", status)
        if let errorCode {
            writer.key("details")
            writer.beginArray()
            writer.beginObject()
            writer.string("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError")
            writer.string("errorCode", errorCode)
            writer.endObject()
            if let fieldViolation {
                writer.beginObject()
                writer.string("@type", "type.googleapis.com/google.rpc.BadRequest")
                writer.key("fieldViolations")
                writer.beginArray()
                writer.beginObject()
                writer.string("field", fieldViolation.field)
                writer.string("description", fieldViolation.description)
                writer.endObject()
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}

/// Access tokens issued by `POST /token`, with their expiry (ms since the epoch).
final class AccessTokenStore: Sendable {
    private let tokens = Mutex<[String: Int64]>([:])
    private let counter = Atomic<UInt64>(0)
    private let prefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()

    func issue(expiresAt: Int64) -> String {
        let serial = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let token = "ya29.mock-" + String(prefix, radix: 16) + "-" + String(serial, radix: 16)
        tokens.withLock { $0[token] = expiresAt }
        return token
    }

    func isValid(_ token: String, now: Int64) -> Bool {
        tokens.withLock { $0[token].map { $0 > now } ?? false }
    }
}

extension MockGateway {
    // MARK: FCM HTTP v1

    func handleFCM(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        let (project, error) = fcmProject(request)
        var failure = error
        var token: String?
        var messageName: String?
        var delay: Duration?
        var extraHeaders: [HTTP2HeaderField] = []
        if failure == nil, configuration.requiresAuthentication {
            let bearer = bearerToken(request.value(of: "authorization"))
            if bearer == nil || !accessTokens.isValid(bearer!, now: configuration.clock.nowMilliseconds()) {
                failure = .unauthenticated
                extraHeaders.append(HTTP2HeaderField("www-authenticate", "Bearer realm=\"https://accounts.google.com/\""))
            }
        }
        if failure == nil {
            switch parseFCMMessage(request.body) {
            case .failure(let invalid):
                failure = invalid
            case .success(let parsed):
                token = parsed
            }
        }
        if failure == nil, let token, let decision = scenario?.decide(token: token) {
            delay = decision.delay
            switch decision.answer {
            case .ok: break
            case .unregistered: failure = .unregistered
            case .badDeviceToken: failure = .invalidRegistrationToken
            case .invalidArgument: failure = .invalidMessageField
            case .deviceTokenNotForTopic: failure = .senderIDMismatch
            case .transient(let status, _):
                failure = status == 429 ? .quotaExceeded : status == 500 ? .internal : .unavailable
            }
        }
        if failure == .quotaExceeded { extraHeaders.append(HTTP2HeaderField("retry-after", "1")) }
        let response: HTTP2ServerResponse
        if let failure {
            response = HTTP2ServerResponse(status: failure.code, headers: jsonContentType + extraHeaders, body: failure.body, delay: delay)
        } else {
            let name = "projects/\(project ?? "")/messages/\(messageIDs.next().lowercased())"
            messageName = name
            var writer = JSONWriter(capacity: 96)
            writer.beginObject()
            writer.string("name", name)
            writer.endObject()
            response = HTTP2ServerResponse(status: 200, headers: jsonContentType, body: writer.bytes, delay: delay)
        }
        statistics.record(status: response.status, reason: failure?.statisticsReason)
        if let recorder = configuration.recorder {
            recorder.record(GatewayRecord(
                api: "fcm", timeMilliseconds: configuration.clock.nowMilliseconds(), token: token,
                messageID: messageName, payload: String(decoding: request.body, as: UTF8.self),
                status: response.status, reason: failure?.statisticsReason
            ))
        }
        return response
    }

    /// `{project}` of `/v1/projects/{project}/messages:send`, or the error to answer.
    private func fcmProject(_ request: HTTP2ServerRequest) -> (String?, FCMError?) {
        let prefix = "/v1/projects/"
        let suffix = "/messages:send"
        let path = request.path
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count else {
            return (nil, .notFound)
        }
        let project = String(path.dropFirst(prefix.count).dropLast(suffix.count))
        guard !project.contains("/") else { return (nil, .notFound) }
        guard request.method == "POST" else { return (project, .methodNotAllowed) }
        return (project, nil)
    }

    /// Checks a send body: `{"message":{"token":…}}`, `data` values are strings, the
    /// notification and data payload together fit in 4096 bytes. Returns the token.
    func parseFCMMessage(_ body: [UInt8]) -> Result<String, FCMError> {
        guard let root = try? JSONValue.parse(body), let message = root["message"]?.objectValue else {
            return .failure(.invalidArgument)
        }
        guard let token = message["token"]?.stringValue, isValidFCMToken(token) else {
            return .failure(.invalidRegistrationToken)
        }
        var payloadBytes = 0
        if let data = message["data"] {
            guard let members = data.objectValue else { return .failure(.invalidArgument) }
            for (key, value) in members {
                guard let text = value.stringValue else { return .failure(.invalidArgument) }
                payloadBytes += key.utf8.count + text.utf8.count
            }
        }
        if let notification = message["notification"] {
            guard let members = notification.objectValue else { return .failure(.invalidArgument) }
            for (_, value) in members {
                guard let text = value.stringValue else { return .failure(.invalidArgument) }
                payloadBytes += text.utf8.count
            }
        }
        if let android = message["android"], android.objectValue == nil { return .failure(.invalidArgument) }
        guard payloadBytes <= 4096 else { return .failure(.invalidArgument) }
        return .success(normalizedToken(token))
    }

    /// FCM registration tokens: 1–4096 characters of `A-Z a-z 0-9 - _ :`.
    func isValidFCMToken(_ token: String) -> Bool {
        guard !token.isEmpty, token.utf8.count <= 4096 else { return false }
        return token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
        }
    }

    // MARK: OAuth2 token endpoint

    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    static let messagingScope = "https://www.googleapis.com/auth/firebase.messaging"

    /// `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`:
    /// checks the RS256 assertion (`iss` a known service account when any are configured, `scope`
    /// includes firebase.messaging, `aud` present, `exp` in the future and at most one hour after
    /// `iat`) and answers `{"access_token","expires_in","token_type"}`.
    func handleTokenGrant(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        let now = configuration.clock.nowMilliseconds()
        let result: Result<String, OAuthFailure>
        if request.method != "POST" {
            result = .failure(OAuthFailure(status: 405, error: "invalid_request", description: "only POST is supported"))
        } else {
            result = checkGrant(request.body, now: now)
        }
        let response: HTTP2ServerResponse
        var reason: String?
        switch result {
        case .success:
            let lifetime = configuration.accessTokenLifetimeSeconds
            let token = accessTokens.issue(expiresAt: now + Int64(lifetime) * 1000)
            var writer = JSONWriter(capacity: 128)
            writer.beginObject()
            writer.string("access_token", token)
            writer.int("expires_in", Int64(lifetime))
            writer.string("token_type", "Bearer")
            writer.endObject()
            response = HTTP2ServerResponse(status: 200, headers: jsonContentType, body: writer.bytes)
        case .failure(let failure):
            reason = failure.error
            var writer = JSONWriter(capacity: 128)
            writer.beginObject()
            writer.string("error", failure.error)
            writer.string("error_description", failure.description)
            writer.endObject()
            response = HTTP2ServerResponse(status: failure.status, headers: jsonContentType, body: writer.bytes)
        }
        statistics.record(status: response.status, reason: reason)
        if let recorder = configuration.recorder {
            recorder.record(GatewayRecord(
                api: "oauth2", timeMilliseconds: now, token: nil,
                payload: String(decoding: request.body, as: UTF8.self), status: response.status, reason: reason
            ))
        }
        return response
    }

    struct OAuthFailure: Error {
        var status = 400
        var error: String
        var description: String
    }

    private func checkGrant(_ body: [UInt8], now: Int64) -> Result<String, OAuthFailure> {
        let form = parseForm(body)
        guard form["grant_type"] == Self.jwtBearerGrant else {
            return .failure(OAuthFailure(error: "unsupported_grant_type", description: "grant_type must be \(Self.jwtBearerGrant)"))
        }
        guard let assertion = form["assertion"], !assertion.isEmpty else {
            return .failure(OAuthFailure(error: "invalid_request", description: "missing assertion"))
        }
        func invalid(_ text: String) -> Result<String, OAuthFailure> {
            .failure(OAuthFailure(error: "invalid_grant", description: text))
        }
        guard let jws = try? JWSCompact(parsing: assertion),
              let header = try? JSONValue.parse(jws.header),
              let claims = try? JSONValue.parse(jws.claims)
        else { return invalid("assertion is not a JWT") }
        guard header["alg"]?.stringValue == "RS256" else { return invalid("alg must be RS256") }
        guard let issuer = claims["iss"]?.stringValue, !issuer.isEmpty else { return invalid("missing iss") }
        guard let scope = claims["scope"]?.stringValue,
              scope.split(separator: " ").contains(where: { $0 == Self.messagingScope })
        else { return invalid("scope must include \(Self.messagingScope)") }
        guard claims["aud"]?.stringValue?.isEmpty == false else { return invalid("missing aud") }
        guard let issuedAt = claims["iat"]?.numberValue, let expiry = claims["exp"]?.numberValue else {
            return invalid("missing iat or exp")
        }
        guard expiry * 1000 > Double(now) else { return invalid("assertion expired") }
        guard expiry > issuedAt, expiry - issuedAt <= 3600 else { return invalid("exp must be within one hour after iat") }
        if !configuration.serviceAccounts.isEmpty {
            guard let key = configuration.serviceAccounts[issuer] else { return invalid("unknown service account \(issuer)") }
            guard jws.verify(with: RS256Verifier(key: key)) else { return invalid("invalid JWT signature") }
        }
        return .success(issuer)
    }

    /// Parses `application/x-www-form-urlencoded` (`+` is a space, `%XX` escapes).
    func parseForm(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            fields[key] = value
        }
        return fields
    }

    private func percentDecode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                      let high = HexDigit.value(bytes[index + 1]), let low = HexDigit.value(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
