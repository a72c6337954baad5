import PushJSON
import HTTP2Transport
import PushModel

/// Failures injected on purpose: per-token answers and latencies, and connection-level faults.
///
/// Loaded from a JSON file (example: `scripts/example-scenario.json`; `ScenarioLoading.swift`), or
/// built from an event CSV of an earlier run (the `Replay` module's
/// `addTokenDeletedRules(eventsCSV:source:installationTokens:)`). The file format:
///
/// ```
/// {
///   "max_concurrent_streams": 500,            // SETTINGS_MAX_CONCURRENT_STREAMS to announce
///   "connection": {                           // counted per connection, 1-based, each optional
///     "goaway_after_streams": 1000,           // GOAWAY with the N-th response, finish, close
///     "drop_after_streams": 5000,             // close the socket after queuing the N-th response
///     "stall_after_streams": 100              // stop reading after the N-th response
///   },
///   "installation_tokens": {"<installation id>": "<token>"},   // for --scenario-from-events
///   "rules": [                                // first matching rule wins
///     {
///       "name": "optional label",
///       "match": {                            // any criterion matching selects the token;
///         "tokens": ["<exact token>"],        // no criteria: every token
///         "prefixes": ["dead"],
///         "fraction": 0.05, "salt": "x"       // deterministic: FNV-1a of salt+token
///       },
///       "answer": "ok" | "unregistered" | "bad_device_token"
///               | "device_token_not_for_topic" | "invalid_argument" | "transient",
///       "timestamp_ms": 1793530800000,        // unregistered: the 410 timestamp (default: now)
///       "status": 429 | 500 | 503,            // transient: this status for the first
///       "first_tries": 2,                     //   K tries of each token, then 200
///       "latency_ms": 20 | {"min": 5, "max": 50}   // fixed or uniform random delay
///     }
///   ]
/// }
/// ```
///
/// Rules apply only to requests that pass validation. APNs answers: 410 Unregistered (+timestamp),
/// 400 BadDeviceToken, 400 DeviceTokenNotForTopic, 429 TooManyRequests / 500 InternalServerError /
/// 503 ServiceUnavailable. FCM answers: 404 UNREGISTERED, 400 INVALID_ARGUMENT, 403
/// SENDER_ID_MISMATCH, 429 QUOTA_EXCEEDED (+`retry-after`) / 500 INTERNAL / 503 UNAVAILABLE.
/// Transient rules keep one try counter per (rule, token) for the life of the gateway.
public struct Scenario: Sendable {
    /// Rules in file order; the first rule whose `match` matches a token decides its answer.
    public var rules: [ScenarioRule]
    /// Connection-level faults, counted per connection.
    public var connectionFaults: ConnectionFaults
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` the server should announce, if set.
    public var maxConcurrentStreams: Int?
    /// Installation ID → token, used by `--scenario-from-events`.
    public var installationTokens: [String: String]

    /// Creates a scenario.
    public init(
        rules: [ScenarioRule] = [], connectionFaults: ConnectionFaults = ConnectionFaults(),
        maxConcurrentStreams: Int? = nil, installationTokens: [String: String] = [:]
    ) {
        self.rules = rules
        self.connectionFaults = connectionFaults
        self.maxConcurrentStreams = maxConcurrentStreams
        self.installationTokens = installationTokens
    }
}

/// One rule: which tokens, what they get, how late.
public struct ScenarioRule: Sendable {
    /// Optional label (shows in errors).
    public var name: String?
    /// Which tokens the rule applies to.
    public var match: TokenMatch
    /// What matching requests get once they pass validation.
    public var answer: ScenarioAnswer
    /// Delay before answering, if any.
    public var latency: ScenarioLatency?

    /// Creates a rule.
    public init(name: String? = nil, match: TokenMatch, answer: ScenarioAnswer, latency: ScenarioLatency? = nil) {
        self.name = name
        self.match = match
        self.answer = answer
        self.latency = latency
    }
}

/// Selects tokens: a token matches when it is one of `tokens`, OR starts with one of `prefixes`,
/// OR falls in `fraction` by a hash of `salt + token`. A match with no criteria matches every token.
///
/// Hexadecimal tokens are compared in lower case (APNs tokens are case-insensitive hex); other
/// tokens (FCM registration tokens) are compared exactly.
public struct TokenMatch: Sendable {
    /// Exact tokens.
    public var tokens: Set<String>
    /// Token prefixes.
    public var prefixes: [String]
    /// Fraction of all tokens (0…1) chosen deterministically by hash.
    public var fraction: Double?
    /// Salt mixed into the hash, to pick a different subset with the same fraction.
    public var salt: String

    /// Creates a match; hex tokens and prefixes are lower-cased.
    public init(tokens: Set<String> = [], prefixes: [String] = [], fraction: Double? = nil, salt: String = "") {
        self.tokens = Set(tokens.map(normalizedToken))
        self.prefixes = prefixes.map(normalizedToken)
        self.fraction = fraction
        self.salt = salt
    }

    /// Whether `token` (already normalised) matches.
    public func matches(_ token: String) -> Bool {
        if tokens.isEmpty, prefixes.isEmpty, fraction == nil { return true }
        if tokens.contains(token) { return true }
        for prefix in prefixes where token.hasPrefix(prefix) { return true }
        if let fraction { return Self.unitHash(salt: salt, token: token) < fraction }
        return false
    }

    /// A stable value in [0, 1) for `salt + token` (FNV-1a 64, then a SplitMix64 finaliser).
    public static func unitHash(salt: String, token: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in salt.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3
        for byte in token.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash = SplitMix64.mix(hash)
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}

/// Lower-cases a token when it is all hexadecimal (APNs), leaves it alone otherwise (FCM).
func normalizedToken(_ token: String) -> String {
    var hasUpper = false
    for byte in token.utf8 {
        guard HexDigit.value(byte) != nil else { return token }
        if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "F") { hasUpper = true }
    }
    return hasUpper ? token.lowercased() : token
}

/// What a matching request gets (after passing validation).
public enum ScenarioAnswer: Sendable, Hashable {
    /// The normal success (useful with a latency).
    case ok
    /// APNs 410 Unregistered with `timestamp` (nil: the time of the request); FCM 404 UNREGISTERED.
    case unregistered(timestampMilliseconds: Int64?)
    /// APNs 400 BadDeviceToken; FCM 400 INVALID_ARGUMENT about the token (a `google.rpc.BadRequest`
    /// field violation on `message.token`, as Google answers a bad registration token).
    case badDeviceToken
    /// A permanent rejection of the message, not the token: APNs 400 BadExpirationDate; FCM 400
    /// INVALID_ARGUMENT with a field violation on `message.android.ttl`.
    case invalidArgument
    /// APNs 400 DeviceTokenNotForTopic; FCM 403 SENDER_ID_MISMATCH.
    case deviceTokenNotForTopic
    /// `status` (429, 500 or 503) for the first `firstTries` requests to each token, then 200.
    /// APNs reasons TooManyRequests / InternalServerError / ServiceUnavailable;
    /// FCM QUOTA_EXCEEDED (with `retry-after`) / INTERNAL / UNAVAILABLE.
    case transient(status: Int, firstTries: Int)
}

/// A delay before answering.
public enum ScenarioLatency: Sendable, Hashable {
    /// Always this long.
    case fixed(Duration)
    /// Uniformly random between the bounds (inclusive), per request.
    case uniform(min: Duration, max: Duration)

    func sample() -> Duration {
        switch self {
        case .fixed(let duration):
            return duration
        case .uniform(let low, let high):
            let lowMicros = low.microseconds
            let highMicros = max(high.microseconds, lowMicros)
            return .microseconds(Int64.random(in: lowMicros...highMicros))
        }
    }
}

extension Duration {
    var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}

/// Connection-level faults; each counts the streams answered on one connection.
public struct ConnectionFaults: Sendable, Hashable {
    /// Send GOAWAY with the N-th response, then finish and close.
    public var goAwayAfterStreams: Int?
    /// Close the socket abruptly after queuing the N-th response.
    public var dropAfterStreams: Int?
    /// Stop reading after the N-th response (a stall).
    public var stallAfterStreams: Int?

    /// Creates faults (nil: never).
    public init(goAwayAfterStreams: Int? = nil, dropAfterStreams: Int? = nil, stallAfterStreams: Int? = nil) {
        self.goAwayAfterStreams = goAwayAfterStreams
        self.dropAfterStreams = dropAfterStreams
        self.stallAfterStreams = stallAfterStreams
    }

    /// Whether any fault is set.
    public var isEmpty: Bool { goAwayAfterStreams == nil && dropAfterStreams == nil && stallAfterStreams == nil }

    /// The directive for the `count`-th response of a connection (1-based).
    func directive(afterStreams count: Int) -> HTTP2ConnectionDirective {
        if let limit = dropAfterStreams, count == limit { return .drop }
        if let limit = goAwayAfterStreams, count == limit { return .goAway }
        if let limit = stallAfterStreams, count == limit { return .stopReading }
        return .keepOpen
    }
}

/// A scenario that cannot be used, naming the field (`rules[2].answer`) or file line.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Field path or `file:line`.
    public var field: String
    /// What is wrong and what is expected.
    public var message: String
    /// Creates an error.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    /// `field: message`.
    public var description: String { "scenario \(field): \(message)" }
}
