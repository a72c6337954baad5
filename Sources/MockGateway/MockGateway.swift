public import HTTP2Transport
public import Logging
import Synchronization
import PushJSON

/// An APNs- and FCM-compatible gateway, as an `HTTP2ServerHandler`.
///
/// Serves `POST /3/device/<token>` (APNs provider API), `POST /v1/projects/{p}/messages:send`
/// (FCM HTTP v1) and `POST /token` (OAuth2 JWT-bearer grant). In `validating` mode it answers
/// every request exactly as the real gateways document; in `accept-all` mode it answers 200 from
/// a precomputed response. A `Scenario` injects failures, latencies and connection faults.
///
/// Thread safety: `handle` runs concurrently on several loop threads. Per-connection state
/// (provider tokens, stream counts) lives in sharded `Mutex`es; statistics use an atomic for
/// successes. Nothing blocks: latencies are returned as `HTTP2ServerResponse.delay`.
public final class MockGateway: HTTP2ServerHandler {
    /// The configuration it runs with.
    public let configuration: MockGatewayConfiguration
    /// Requests answered, by status and reason.
    public let statistics = GatewayStatistics()

    let logger: Logger
    let messageIDs = MessageIDGenerator()
    let tokens: ProviderTokenVerifier
    let scenario: ScenarioEngine?
    let streamCounts: StreamCounter?
    let accessTokens = AccessTokenStore()
    let acceptAllFCMBody: [UInt8] = {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.string("name", "projects/mock/messages/0:accepted")
        writer.endObject()
        return writer.bytes
    }()
    let allowedBaseTopics: Set<String>?

    /// Creates a gateway.
    ///
    /// - Parameter logger: where connection-level events are logged (nothing per request).
    public init(configuration: MockGatewayConfiguration, logger: Logger = Logger(label: "pushengine.gateway", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        tokens = ProviderTokenVerifier(keys: configuration.verificationKeys, clock: configuration.clock)
        scenario = configuration.scenario.map(ScenarioEngine.init)
        if let faults = configuration.scenario?.connectionFaults, !faults.isEmpty {
            streamCounts = StreamCounter(faults: faults)
        } else {
            streamCounts = nil
        }
        allowedBaseTopics = configuration.allowedTopics
    }

    /// The `SETTINGS_MAX_CONCURRENT_STREAMS` the server should announce: the configuration's,
    /// else the scenario's, else nil (the server's default).
    public var maxConcurrentStreams: Int? {
        configuration.maxConcurrentStreams ?? configuration.scenario?.maxConcurrentStreams
    }

    /// Whether new connections start with one stream (see
    /// ``MockGatewayConfiguration/holdsNewConnectionsToOneStream``).
    public var holdsNewConnectionsToOneStream: Bool {
        configuration.holdsNewConnectionsToOneStream && configuration.mode == .validating && configuration.requiresAuthentication
    }

    /// The `SETTINGS_MAX_CONCURRENT_STREAMS` a new connection is announced: 1 while new
    /// connections are held to one stream, else ``maxConcurrentStreams``.
    public var initialMaxConcurrentStreams: Int? {
        holdsNewConnectionsToOneStream ? 1 : maxConcurrentStreams
    }

    /// The limit a held connection is raised to: ``maxConcurrentStreams``, else the transport's
    /// default (1000).
    var openedMaxConcurrentStreams: UInt32 {
        UInt32(clamping: maxConcurrentStreams ?? 1000)
    }

    /// Logs the new connection (debug level).
    public func connectionOpened(_ connectionID: UInt64) {
        logger.debug("connection opened", metadata: ["connection": "\(connectionID)"])
    }

    /// Forgets the connection's provider token and stream count.
    public func connectionClosed(_ connectionID: UInt64) {
        logger.debug("connection closed", metadata: ["connection": "\(connectionID)"])
        tokens.connectionClosed(connectionID)
        streamCounts?.remove(connectionID)
    }

    /// Answers one request (never throws: every problem is an HTTP answer).
    public func handle(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        var response: HTTP2ServerResponse
        let path = request.path
        if path.utf8.starts(with: "/3/".utf8) || !(path.utf8.starts(with: "/v1/".utf8) || path == "/token") {
            response = configuration.mode == .acceptAll ? acceptAllAPNs(request) : handleAPNs(request)
        } else {
            response = path == "/token" ? handleTokenGrant(request)
                : configuration.mode == .acceptAll ? acceptAllFCM(request) : handleFCM(request)
            if holdsNewConnectionsToOneStream, tokens.open(request.connectionID) {
                response.newMaxConcurrentStreams = openedMaxConcurrentStreams
            }
        }
        if let streamCounts {
            let directive = streamCounts.directive(for: request.connectionID)
            if directive != .keepOpen { response.directive = directive }
        }
        return response
    }

    // MARK: Accept-all

    private func acceptAllAPNs(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        let apnsID = request.value(of: "apns-id") ?? messageIDs.next()
        statistics.record(status: 200, reason: nil)
        if let recorder = configuration.recorder {
            recorder.record(apnsRecord(request, token: apnsToken(in: request.path), apnsID: apnsID, status: 200, reason: nil))
        }
        return HTTP2ServerResponse(status: 200, headers: [HTTP2HeaderField("apns-id", apnsID, neverIndex: true)])
    }

    private func acceptAllFCM(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        statistics.record(status: 200, reason: nil)
        if let recorder = configuration.recorder {
            recorder.record(GatewayRecord(
                api: "fcm", timeMilliseconds: configuration.clock.nowMilliseconds(), token: nil,
                payload: String(decoding: request.body, as: UTF8.self), status: 200
            ))
        }
        return HTTP2ServerResponse(status: 200, headers: jsonContentType, body: acceptAllFCMBody)
    }

    // MARK: APNs validating

    /// The APNs request headers the gateway reads, gathered in one pass.
    struct APNsHeaders {
        var authorization: String?
        var topic: String?
        var pushType: String?
        var priority: String?
        var expiration: String?
        var apnsID: String?
        var collapseID: String?
        var duplicated = false

        init(_ headers: [HTTP2HeaderField]) {
            func set(_ slot: inout String?, _ value: String) {
                if slot != nil { duplicated = true }
                slot = value
            }
            for header in headers {
                switch header.name {
                case "authorization": set(&authorization, header.value)
                case "apns-topic": set(&topic, header.value)
                case "apns-push-type": set(&pushType, header.value)
                case "apns-priority": set(&priority, header.value)
                case "apns-expiration": set(&expiration, header.value)
                case "apns-id": set(&apnsID, header.value)
                case "apns-collapse-id": set(&collapseID, header.value)
                default: continue
                }
            }
        }
    }

    /// The topic suffix each push type needs; nil for an unknown push type.
    static func topicSuffix(forPushType pushType: String) -> String? {
        switch pushType {
        case "alert", "background", "mdm": return ""
        case "voip": return ".voip"
        case "complication": return ".complication"
        case "fileprovider": return ".pushkit.fileprovider"
        case "location": return ".location-query"
        case "liveactivity": return ".push-type.liveactivity"
        case "pushtotalk": return ".voip-ptt"
        case "widgets": return ".push-type.widgets"
        case "controls": return ".push-type.controls"
        default: return nil
        }
    }

    func handleAPNs(_ request: HTTP2ServerRequest) -> HTTP2ServerResponse {
        let headers = APNsHeaders(request.headers)
        // The apns-id we answer with: the request's when it is a UUID, else a new one.
        let apnsID = headers.apnsID.flatMap { isUUID($0) ? $0 : nil } ?? messageIDs.next()
        let tokenShape = APNsTokenShape(path: request.path)
        var opensConnection = false
        let verdict = validateAPNs(request, headers: headers, tokenShape: tokenShape, opensConnection: &opensConnection)
        let newLimit = opensConnection && holdsNewConnectionsToOneStream ? openedMaxConcurrentStreams : nil
        // The token as a String only when a scenario or the recorder needs it.
        let needsToken = scenario != nil || configuration.recorder != nil
        let rawToken = needsToken ? apnsToken(in: request.path) : nil
        let token = rawToken.map { tokenShape.hasUpperCase ? $0.lowercased() : $0 }
        var timestamp: Int64?
        var reason = verdict
        var delay: Duration?
        if reason == nil, let token, let decision = scenario?.decide(token: token) {
            delay = decision.delay
            switch decision.answer {
            case .ok:
                break
            case .unregistered(let at):
                reason = .unregistered
                timestamp = at ?? configuration.clock.nowMilliseconds()
            case .badDeviceToken:
                reason = .badDeviceToken
            case .deviceTokenNotForTopic:
                reason = .deviceTokenNotForTopic
            case .invalidArgument:
                reason = .badExpirationDate
            case .transient(let status, _):
                reason = status == 429 ? .tooManyRequests : status == 500 ? .internalServerError : .serviceUnavailable
            }
        }
        statistics.record(status: reason?.status ?? 200, reason: reason?.name)
        if let recorder = configuration.recorder {
            var record = apnsRecord(request, token: rawToken, apnsID: apnsID, status: reason?.status ?? 200, reason: reason?.name)
            record.topic = headers.topic
            record.pushType = headers.pushType
            record.priority = headers.priority
            record.collapseID = headers.collapseID
            recorder.record(record)
        }
        let idHeader = HTTP2HeaderField("apns-id", apnsID, neverIndex: true)
        guard let reason else {
            return HTTP2ServerResponse(status: 200, headers: [idHeader], delay: delay, newMaxConcurrentStreams: newLimit)
        }
        var body = JSONWriter(capacity: 64)
        body.beginObject()
        body.string("reason", reason.name)
        if let timestamp { body.int("timestamp", timestamp) }
        body.endObject()
        var responseHeaders = [idHeader, jsonContentType[0]]
        if reason == .tooManyRequests { responseHeaders.append(HTTP2HeaderField("retry-after", "1")) }
        return HTTP2ServerResponse(status: reason.status, headers: responseHeaders, body: body.bytes, delay: delay,
                                   newMaxConcurrentStreams: newLimit)
    }

    /// The checks in the order this gateway applies them; nil when the request is acceptable.
    /// `opensConnection` becomes true when this request's provider token is the first valid one
    /// on its connection.
    func validateAPNs(_ request: HTTP2ServerRequest, headers: APNsHeaders, tokenShape: APNsTokenShape,
                      opensConnection: inout Bool) -> APNsReason? {
        guard request.method == "POST" else { return .methodNotAllowed }
        switch tokenShape.verdict {
        case .badPath: return .badPath
        case .missing: return .missingDeviceToken
        case .invalid: return .badDeviceToken
        case .valid: break
        }
        if headers.duplicated { return .duplicateHeaders }
        if configuration.requiresAuthentication {
            if let rejection = tokens.check(authorization: headers.authorization, connectionID: request.connectionID,
                                            opensConnection: &opensConnection) {
                return rejection
            }
        }
        guard let topic = headers.topic else { return .missingTopic }
        guard isValidTopicSyntax(topic) else { return .badTopic }
        let pushType = headers.pushType ?? "alert"
        guard let suffix = Self.topicSuffix(forPushType: pushType) else { return .invalidPushType }
        if let allowed = allowedBaseTopics {
            guard suffix.isEmpty || topic.hasSuffix(suffix) else { return .badTopic }
            let base = suffix.isEmpty ? topic : String(topic.dropLast(suffix.count))
            guard allowed.contains(base) else { return .topicDisallowed }
        }
        if let priority = headers.priority, priority != "10", priority != "5", priority != "1" {
            return .badPriority
        }
        if let expiration = headers.expiration {
            guard !expiration.isEmpty, expiration.utf8.count <= 19,
                  expiration.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { return .badExpirationDate }
        }
        if let apnsID = headers.apnsID, !isUUID(apnsID) { return .badMessageId }
        if let collapseID = headers.collapseID, collapseID.utf8.count > 64 { return .badCollapseId }
        if request.body.isEmpty { return .payloadEmpty }
        let limit = pushType == "voip" ? 5120 : 4096
        if request.body.count > limit { return .payloadTooLarge }
        if APNsPayloadShape.check(request.body) != .valid { return .badPayload }
        return nil
    }

    /// The token part of `/3/device/<token>`, nil when absent or empty.
    func apnsToken(in path: String) -> String? {
        let prefix = "/3/device/"
        guard path.utf8.starts(with: prefix.utf8), path.utf8.count > prefix.utf8.count else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// A bundle-ID-like topic: letters, digits, `.`, `-`, `_`, at most 255 bytes.
    func isValidTopicSyntax(_ topic: String) -> Bool {
        guard !topic.isEmpty, topic.utf8.count <= 255 else { return false }
        return topic.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    func apnsRecord(_ request: HTTP2ServerRequest, token: String?, apnsID: String, status: Int, reason: String?) -> GatewayRecord {
        GatewayRecord(
            api: "apns", timeMilliseconds: configuration.clock.nowMilliseconds(), token: token,
            topic: request.value(of: "apns-topic"), pushType: request.value(of: "apns-push-type"),
            priority: request.value(of: "apns-priority"), collapseID: request.value(of: "apns-collapse-id"),
            messageID: apnsID, payload: String(decoding: request.body, as: UTF8.self), status: status, reason: reason
        )
    }
}

let jsonContentType = [HTTP2HeaderField("content-type", "application/json")]

/// What the `:path` says about the device token, read in one pass without allocating.
struct APNsTokenShape {
    enum Verdict {
        /// Not `/3/device…`.
        case badPath
        /// `/3/device` or `/3/device/`.
        case missing
        /// Not even-length hex of 32–100 bytes.
        case invalid
        case valid
    }

    var verdict: Verdict
    /// Whether the token has upper-case hex digits (scenarios match in lower case).
    var hasUpperCase = false

    init(path: String) {
        var path = path
        (verdict, hasUpperCase) = path.withUTF8 { bytes -> (Verdict, Bool) in
            let prefix: StaticString = "/3/device"
            let prefixCount = prefix.utf8CodeUnitCount
            guard bytes.count >= prefixCount,
                  prefix.withUTF8Buffer({ UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[0..<prefixCount]).elementsEqual($0) })
            else { return (.badPath, false) }
            if bytes.count == prefixCount { return (.missing, false) }
            guard bytes[prefixCount] == UInt8(ascii: "/") else { return (.badPath, false) }
            let count = bytes.count - prefixCount - 1
            if count == 0 { return (.missing, false) }
            guard count >= 64, count <= 200, count % 2 == 0 else { return (.invalid, false) }
            var upper = false
            for index in (prefixCount + 1)..<bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x30...0x39, 0x61...0x66: continue
                case 0x41...0x46: upper = true
                default: return (.invalid, false)
                }
            }
            return (.valid, upper)
        }
    }
}

/// Counts answered streams per connection for `ConnectionFaults`.
final class StreamCounter: Sendable {
    let faults: ConnectionFaults
    private let shards: [Shard]

    final class Shard: Sendable {
        let counts = Mutex<[UInt64: Int]>([:])
    }

    init(faults: ConnectionFaults) {
        self.faults = faults
        shards = (0..<16).map { _ in Shard() }
    }

    /// Counts one more response on the connection and says what to do afterwards.
    func directive(for connectionID: UInt64) -> HTTP2ConnectionDirective {
        let count = shards[Int(connectionID % 16)].counts.withLock { counts -> Int in
            let next = (counts[connectionID] ?? 0) + 1
            counts[connectionID] = next
            return next
        }
        return faults.directive(afterStreams: count)
    }

    func remove(_ connectionID: UInt64) {
        _ = shards[Int(connectionID % 16)].counts.withLock { $0.removeValue(forKey: connectionID) }
    }
}

/// Parses `authorization: Bearer <token>` (scheme case-insensitive); nil when absent or another scheme.
func bearerToken(_ value: String?) -> String? {
    guard let value else { return nil }
    let bytes = value.utf8
    guard bytes.count > 7 else { return nil }
    let scheme = bytes.prefix(6).map { $0 | 0x20 }
    guard scheme.elementsEqual("bearer".utf8), bytes[bytes.index(bytes.startIndex, offsetBy: 6)] == UInt8(ascii: " ") else {
        return nil
    }
    let token = String(value.dropFirst(7)).trimmingCharacters(asciiSpaces: true)
    return token.isEmpty ? nil : token
}
