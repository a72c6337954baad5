public import PushCrypto
public import PushModel

/// How a `MockGateway` answers.
public struct MockGatewayConfiguration: Sendable {
    /// Validation depth.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Every check Apple and Google make (the default).
        case validating
        /// Answer 200 to everything from a precomputed response, for benchmarks.
        case acceptAll = "accept-all"
    }

    /// Validation depth.
    public var mode: Mode
    /// Keys that APNs provider tokens may be signed with (`--verify-key`).
    public var verificationKeys: [ProviderVerificationKey]
    /// When false (`--no-auth`), provider tokens and FCM bearers are not checked.
    public var requiresAuthentication: Bool
    /// When set, `apns-topic` must be one of these bundle IDs (with the suffix its push type
    /// needs), else 400 TopicDisallowed / BadTopic.
    public var allowedTopics: Set<String>?
    /// Failures on purpose.
    public var scenario: Scenario?
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` to announce; overrides the scenario's.
    public var maxConcurrentStreams: Int?
    /// APNs' rule with token authentication: a new connection is allowed one stream until a
    /// request with a valid provider token has been answered; then the gateway raises its limit
    /// (a SETTINGS frame with `maxConcurrentStreams`, or the transport's default 1000).
    /// Applies in validating mode with authentication on; an FCM or `/token` request opens the
    /// connection at once (Google has no such rule). Default: true.
    public var holdsNewConnectionsToOneStream: Bool
    /// Time source for provider-token ages, 410 timestamps and records.
    public var clock: PushClock
    /// Where answered requests are recorded, if anywhere.
    public var recorder: GatewayRecorder?
    /// Service accounts (`client_email` → public key) whose RS256 assertions `POST /token` accepts.
    /// Empty: any well-formed, unexpired assertion is accepted without a signature check.
    public var serviceAccounts: [String: RSAPublicKey]
    /// Lifetime of issued FCM access tokens, in seconds.
    public var accessTokenLifetimeSeconds: Int

    /// Creates a configuration; the defaults validate everything with no keys configured
    /// (so every provider token is refused until keys are added or authentication is off).
    public init(
        mode: Mode = .validating,
        verificationKeys: [ProviderVerificationKey] = [],
        requiresAuthentication: Bool = true,
        allowedTopics: Set<String>? = nil,
        scenario: Scenario? = nil,
        maxConcurrentStreams: Int? = nil,
        holdsNewConnectionsToOneStream: Bool = true,
        clock: PushClock = .system,
        recorder: GatewayRecorder? = nil,
        serviceAccounts: [String: RSAPublicKey] = [:],
        accessTokenLifetimeSeconds: Int = 3600
    ) {
        self.mode = mode
        self.verificationKeys = verificationKeys
        self.requiresAuthentication = requiresAuthentication
        self.allowedTopics = allowedTopics
        self.scenario = scenario
        self.maxConcurrentStreams = maxConcurrentStreams
        self.holdsNewConnectionsToOneStream = holdsNewConnectionsToOneStream
        self.clock = clock
        self.recorder = recorder
        self.serviceAccounts = serviceAccounts
        self.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds
    }
}
