import PushSync
public import Gateways
public import HTTP2Transport
public import PushModel
import Synchronization

/// FCM access tokens from the service account's `token_uri` (JWT-bearer grant, RS256), cached
/// and refreshed `refreshMargin` before they expire, or after FCM answered 401.
///
/// Fetching blocks the calling thread (at most `fetchTimeout`); it happens about once an hour.
/// Requests to the token endpoint run on the cache's own event loop, so a fetch started from a
/// gateway loop thread (a credential retry) cannot wait on itself.
public final class FCMAccessTokenCache: FCMAccessTokenProvider {
    /// The service account.
    public let account: FCMServiceAccount
    /// Refresh this long before expiry.
    public let refreshMargin: Duration
    /// Longest wait for the token endpoint.
    public let fetchTimeout: Duration
    private let clock: PushClock
    private let tls: TLSClientConfiguration?
    private let endpoint: (host: String, port: Int, path: String, tls: Bool)
    private let loop: EventLoop
    private struct State {
        var authorization: String?
        var expiresAt: Int64 = 0  // ms
        var generation: UInt64 = 0
        var forced = false
        var fetched = 0
    }
    private let state = Mutex(State())
    private let fetchLock = Mutex(())

    /// Creates the cache; the first token is fetched on first use.
    /// - Parameter tls: TLS settings for the token endpoint when `token_uri` is `https` (e.g. a test CA).
    /// - Throws: ``GatewayError/invalidCredentials(context:)`` when `token_uri` is not an http(s) URL.
    public init(account: FCMServiceAccount, tls: TLSClientConfiguration? = TLSClientConfiguration(), clock: PushClock = .system,
                refreshMargin: Duration = .seconds(300), fetchTimeout: Duration = .seconds(10)) throws(GatewayError) {
        self.account = account
        self.clock = clock
        self.refreshMargin = refreshMargin
        self.fetchTimeout = fetchTimeout
        guard let parsed = FCMAccessTokenCache.parse(account.tokenURI) else {
            throw .invalidCredentials(context: "service account: token_uri '\(account.tokenURI)' is not an http(s) URL")
        }
        endpoint = parsed
        self.tls = parsed.tls ? (tls ?? TLSClientConfiguration()) : nil
        loop = EventLoop()
    }

    deinit { loop.shutdown() }

    /// Tokens fetched so far.
    public var fetchCount: Int { state.withLock { $0.fetched } }

    static func parse(_ uri: String) -> (host: String, port: Int, path: String, tls: Bool)? {
        let tls: Bool
        var rest: Substring
        if uri.hasPrefix("https://") { tls = true; rest = uri.dropFirst(8) }
        else if uri.hasPrefix("http://") { tls = false; rest = uri.dropFirst(7) }
        else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        rest = authority
        var host = String(rest), port = tls ? 443 : 80
        if let colon = rest.lastIndex(of: ":"), let p = Int(rest[rest.index(after: colon)...]) {
            host = String(rest[..<colon])
            port = p
        }
        guard !host.isEmpty, port > 0, port < 65536 else { return nil }
        return (host, port, path, tls)
    }

    /// The cached token, fetching a new one when missing, near expiry, or refused by FCM.
    public func current() throws(GatewayError) -> (authorization: String, generation: UInt64) {
        if let cached = usable() { return cached }
        // One fetch at a time; others wait for it and reuse its token.
        return try fetchLock.withLock { (_) throws(GatewayError) -> (authorization: String, generation: UInt64) in
            if let cached = usable() { return cached }
            let now = clock.nowMilliseconds()
            let assertion = try FCMCodec.assertion(for: account, issuedAt: now / 1000)
            let (token, expiresIn) = try fetch(assertion)
            return state.withLock { s in
                s.authorization = "Bearer " + token
                s.expiresAt = now + expiresIn * 1000
                s.generation += 1
                s.forced = false
                s.fetched += 1
                return (s.authorization!, s.generation)
            }
        }
    }

    private func usable() -> (authorization: String, generation: UInt64)? {
        let now = clock.nowMilliseconds()
        let margin = Int64(refreshMargin.components.seconds) * 1000
        return state.withLock { s in
            guard let a = s.authorization, !s.forced, now + margin < s.expiresAt else { return nil }
            return (a, s.generation)
        }
    }

    /// FCM answered 401 for `generation`: the next ``current()`` fetches a new token.
    public func invalidate(generation: UInt64) {
        state.withLock { s in if s.generation == generation { s.forced = true } }
    }

    private func fetch(_ assertion: String) throws(GatewayError) -> (String, Int64) {
        let box = ResultBox()
        let configuration = HTTP2ClientConfiguration(
            host: endpoint.host, port: endpoint.port, tls: tls, maxConcurrentStreams: 1,
            requestTimeout: fetchTimeout, connectTimeout: fetchTimeout, pingInterval: .zero)
        let connection: HTTP2ClientConnection
        do {
            connection = try HTTP2ClientConnection(configuration: configuration, loop: loop,
                                                   onCompletions: { batch in box.set(batch.first?.result) },
                                                   onClose: { _, error in box.set(error.map { .failure($0) }) })
        } catch {
            throw .tokenEndpoint(status: 0, detail: "\(account.tokenURI): \(error)")
        }
        defer { connection.close() }
        connection.submit(HTTP2Request(
            path: endpoint.path, headers: [HTTP2HeaderField("content-type", "application/x-www-form-urlencoded")],
            body: FCMCodec.tokenRequestBody(assertion: assertion), tag: 1))
        guard let result = box.wait(timeout: fetchTimeout) else {
            throw .tokenEndpoint(status: 0, detail: "\(account.tokenURI): no answer within \(fetchTimeout)")
        }
        switch result {
        case .failure(let error):
            throw .tokenEndpoint(status: 0, detail: "\(account.tokenURI): \(error)")
        case .success(let response):
            return try FCMCodec.accessToken(status: response.status, body: response.body)
        }
    }
}

/// The first result handed over from a loop thread to a waiting caller.
final class ResultBox: Sendable {
    private let monitor = ConditionLock()
    // Guarded by `monitor`.
    private let value = ConditionGuarded<Result<HTTP2Response, HTTP2TransportError>?>(nil)

    func set(_ result: Result<HTTP2Response, HTTP2TransportError>?) {
        guard let result else { return }
        monitor.withLock {
            if value.value == nil { value.value = result }
            monitor.broadcast()
        }
    }

    func wait(timeout: Duration) -> Result<HTTP2Response, HTTP2TransportError>? {
        let deadline = monotonicNanoseconds() &+ timeout.wholeNanoseconds
        return monitor.withLock {
            while value.value == nil && monotonicNanoseconds() < deadline { monitor.wait(untilNanoseconds: deadline) }
            return value.value
        }
    }
}
