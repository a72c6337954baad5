public import Delivery
public import Gateways
import HTTP2Transport

/// Where a gateway is.
public enum GatewayOrigin: Sendable, Hashable {
    /// `api.push.apple.com:443`.
    case apnsProduction
    /// `api.sandbox.push.apple.com:443`.
    case apnsSandbox
    /// Any host and port (the mock gateway, a proxy): TLS trusting `caFile` (nil: the system
    /// store), or h2c with prior knowledge when `tls` is false.
    case custom(host: String, port: Int, tls: Bool = true, caFile: String? = nil)

    /// Host and port.
    var address: (host: String, port: Int) {
        switch self {
        case .apnsProduction: return ("api.push.apple.com", 443)
        case .apnsSandbox: return ("api.sandbox.push.apple.com", 443)
        case .custom(let host, let port, _, _): return (host, port)
        }
    }
}

extension GatewayOrigin {
    /// TLS for connections to this origin: the system trust store for Apple's and Google's
    /// hosts; for `.custom`, the given CA file, or nil (h2c) when TLS is off.
    var clientTLS: TLSClientConfiguration? {
        if case .custom(_, _, let useTLS, let caFile) = self {
            return useTLS ? TLSClientConfiguration(caFile: caFile) : nil
        }
        return TLSClientConfiguration()
    }
}

/// How the engine authenticates to APNs.
public enum APNsAuthentication: Sendable {
    /// Provider tokens (ES256 JWT from a `.p8` key): one token per key, shared, renewed after ~50 min.
    case token(APNsTokenCredentials)
    /// A client certificate and key (PEM files) on the TLS connection.
    case certificate(certificateFile: String, privateKeyFile: String)
}

/// An app's APNs settings.
public struct APNsConfiguration: Sendable {
    /// The gateway.
    public var origin: GatewayOrigin
    /// Credentials.
    public var authentication: APNsAuthentication
    /// The app's bundle ID: `apns-topic` of alerts (push types that need a suffix add it).
    public var topic: String
    /// Connections kept open.
    public var connections: Int
    /// Our cap on streams per connection (the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` also applies).
    public var maxConcurrentStreams: Int
    /// Deadline of one request.
    public var requestTimeout: Duration
    /// Retries of transient failures.
    public var retry: RetryPolicy

    /// Creates APNs settings.
    public init(origin: GatewayOrigin, authentication: APNsAuthentication, topic: String, connections: Int = 2,
                maxConcurrentStreams: Int = 1000, requestTimeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy()) {
        self.origin = origin
        self.authentication = authentication
        self.topic = topic
        self.connections = connections
        self.maxConcurrentStreams = maxConcurrentStreams
        self.requestTimeout = requestTimeout
        self.retry = retry
    }

    /// The connection pool configuration these settings describe.
    func poolConfiguration() -> HTTP2ConnectionPoolConfiguration {
        let (host, port) = origin.address
        var tls = origin.clientTLS
        if case .certificate(let cert, let key) = authentication {
            tls?.certificateFile = cert
            tls?.privateKeyFile = key
        }
        let connection = HTTP2ClientConfiguration(
            host: host, port: port, tls: tls, maxConcurrentStreams: maxConcurrentStreams,
            requestTimeout: requestTimeout, responseHeaderNames: ["retry-after"])
        return HTTP2ConnectionPoolConfiguration(connection: connection, connections: connections)
    }
}

/// An app's FCM HTTP v1 settings.
public struct FCMConfiguration: Sendable {
    /// The gateway (`fcm.googleapis.com:443` by default; `.custom` for the mock gateway).
    public var origin: GatewayOrigin
    /// The service account (project, client email, key, token URI).
    public var serviceAccount: FCMServiceAccount
    /// CA file for the token endpoint when it is not publicly trusted (tests); nil: system store.
    public var tokenEndpointCAFile: String?
    /// Connections kept open.
    public var connections: Int
    /// Our cap on streams per connection.
    public var maxConcurrentStreams: Int
    /// Deadline of one request.
    public var requestTimeout: Duration
    /// Retries of transient failures.
    public var retry: RetryPolicy

    /// Creates FCM settings.
    public init(origin: GatewayOrigin = .custom(host: "fcm.googleapis.com", port: 443), serviceAccount: FCMServiceAccount,
                tokenEndpointCAFile: String? = nil, connections: Int = 2, maxConcurrentStreams: Int = 100,
                requestTimeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy()) {
        self.origin = origin
        self.serviceAccount = serviceAccount
        self.tokenEndpointCAFile = tokenEndpointCAFile
        self.connections = connections
        self.maxConcurrentStreams = maxConcurrentStreams
        self.requestTimeout = requestTimeout
        self.retry = retry
    }

    func poolConfiguration() -> HTTP2ConnectionPoolConfiguration {
        let (host, port) = origin.address
        let tls = origin.clientTLS
        let connection = HTTP2ClientConfiguration(
            host: host, port: port, tls: tls, maxConcurrentStreams: maxConcurrentStreams,
            requestTimeout: requestTimeout, responseHeaderNames: ["retry-after"])
        return HTTP2ConnectionPoolConfiguration(connection: connection, connections: connections)
    }
}

/// One app the engine sends for.
public struct AppConfiguration: Sendable {
    /// The app's name (event file names).
    public var name: String
    /// The app's API key (event file names, REST routing).
    public var apiKey: String
    /// APNs settings; nil when the app has no iOS installations to reach.
    public var apns: APNsConfiguration?
    /// FCM settings; nil when the app has no Android installations to reach.
    public var fcm: FCMConfiguration?
    /// Installations the index should reserve room for.
    public var expectedInstallations: Int

    /// Creates an app configuration.
    public init(name: String, apiKey: String, apns: APNsConfiguration?, fcm: FCMConfiguration? = nil, expectedInstallations: Int = 0) {
        self.name = name
        self.apiKey = apiKey
        self.apns = apns
        self.fcm = fcm
        self.expectedInstallations = expectedInstallations
    }
}
