import HTTP2Transport
import PushJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures injected on purpose: per-token answers and latencies, and connection-level faults.
///
/// Loaded from a JSON file (example: `scripts/example-scenario.json`), or built from an event CSV of
/// an earlier run (`addTokenDeletedRules(eventsCSV:source:installationTokens:)`). The file format:
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
        hash ^= hash >> 30
        hash &*= 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 27
        hash &*= 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}

/// Lower-cases a token when it is all hexadecimal (APNs), leaves it alone otherwise (FCM).
func normalizedToken(_ token: String) -> String {
    var hasUpper = false
    for byte in token.utf8 {
        guard hexValue(byte) != nil else { return token }
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

// MARK: - Loading

extension Scenario {
    /// Reads and parses a scenario JSON file.
    public init(contentsOf path: String) throws(ScenarioError) {
        let bytes = try readSmallFile(path, what: "scenario")
        do {
            try self.init(json: bytes)
        } catch {
            throw ScenarioError(field: "\(path): \(error.field)", message: error.message)
        }
    }

    /// Parses a scenario document (format in the README).
    public init(json: [UInt8]) throws(ScenarioError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(json)
        } catch {
            throw ScenarioError(field: "document", message: error.description)
        }
        guard let object = root.objectValue else {
            throw ScenarioError(field: "document", message: "must be a JSON object")
        }
        let known: Set = ["rules", "connection", "max_concurrent_streams", "installation_tokens"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: key, message: "unknown field (expected one of \(known.sorted()))")
        }
        var scenario = Scenario()
        scenario.maxConcurrentStreams = try positiveInt(object["max_concurrent_streams"], field: "max_concurrent_streams")
        if let connection = object["connection"] {
            guard let faults = connection.objectValue else {
                throw ScenarioError(field: "connection", message: "must be an object")
            }
            let knownFaults: Set = ["goaway_after_streams", "drop_after_streams", "stall_after_streams"]
            for key in faults.keys where !knownFaults.contains(key) {
                throw ScenarioError(field: "connection.\(key)", message: "unknown field (expected one of \(knownFaults.sorted()))")
            }
            scenario.connectionFaults = ConnectionFaults(
                goAwayAfterStreams: try positiveInt(faults["goaway_after_streams"], field: "connection.goaway_after_streams"),
                dropAfterStreams: try positiveInt(faults["drop_after_streams"], field: "connection.drop_after_streams"),
                stallAfterStreams: try positiveInt(faults["stall_after_streams"], field: "connection.stall_after_streams")
            )
        }
        if let mapping = object["installation_tokens"] {
            guard let pairs = mapping.objectValue else {
                throw ScenarioError(field: "installation_tokens", message: "must be an object of installation ID → token")
            }
            for (installation, token) in pairs {
                guard let token = token.stringValue, !token.isEmpty else {
                    throw ScenarioError(field: "installation_tokens.\(installation)", message: "must be a non-empty string")
                }
                scenario.installationTokens[installation] = token
            }
        }
        if let rules = object["rules"] {
            guard case .array(let list) = rules else {
                throw ScenarioError(field: "rules", message: "must be an array")
            }
            for (index, rule) in list.enumerated() {
                scenario.rules.append(try ScenarioRule(json: rule, field: "rules[\(index)]"))
            }
        }
        self = scenario
    }
}

extension ScenarioRule {
    init(json: JSONValue, field: String) throws(ScenarioError) {
        guard let object = json.objectValue else {
            throw ScenarioError(field: field, message: "must be an object")
        }
        let known: Set = ["name", "match", "answer", "timestamp_ms", "status", "first_tries", "latency_ms"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: "\(field).\(key)", message: "unknown field (expected one of \(known.sorted()))")
        }
        name = object["name"]?.stringValue
        match = try TokenMatch(json: object["match"], field: "\(field).match")
        let answerName = object["answer"]?.stringValue ?? "ok"
        switch answerName {
        case "ok":
            answer = .ok
        case "unregistered":
            let timestamp = try nonNegativeInt(object["timestamp_ms"], field: "\(field).timestamp_ms")
            answer = .unregistered(timestampMilliseconds: timestamp.map(Int64.init))
        case "bad_device_token":
            answer = .badDeviceToken
        case "device_token_not_for_topic":
            answer = .deviceTokenNotForTopic
        case "invalid_argument":
            answer = .invalidArgument
        case "transient":
            guard let status = try positiveInt(object["status"], field: "\(field).status"), [429, 500, 503].contains(status) else {
                throw ScenarioError(field: "\(field).status", message: "a transient answer needs status 429, 500 or 503")
            }
            let tries = try positiveInt(object["first_tries"], field: "\(field).first_tries") ?? 1
            answer = .transient(status: status, firstTries: tries)
        default:
            throw ScenarioError(
                field: "\(field).answer",
                message: "unknown answer '\(answerName)' (expected ok, unregistered, bad_device_token, device_token_not_for_topic, invalid_argument, transient)"
            )
        }
        switch object["latency_ms"] {
        case nil, .null?:
            latency = nil
        case .integer?, .number?:
            let milliseconds = object["latency_ms"]?.numberValue ?? 0
            guard milliseconds >= 0, milliseconds <= 600_000 else {
                throw ScenarioError(field: "\(field).latency_ms", message: "must be between 0 and 600000")
            }
            latency = .fixed(.microseconds(Int64(milliseconds * 1000)))
        case .object(let bounds)?:
            guard let low = bounds["min"]?.numberValue, let high = bounds["max"]?.numberValue,
                  low >= 0, high >= low, high <= 600_000, bounds.count == 2
            else {
                throw ScenarioError(field: "\(field).latency_ms", message: "must be {\"min\": ms, \"max\": ms} with 0 ≤ min ≤ max ≤ 600000")
            }
            latency = .uniform(min: .microseconds(Int64(low * 1000)), max: .microseconds(Int64(high * 1000)))
        default:
            throw ScenarioError(field: "\(field).latency_ms", message: "must be a number of milliseconds or {\"min\",\"max\"}")
        }
    }
}

extension TokenMatch {
    init(json: JSONValue?, field: String) throws(ScenarioError) {
        guard let json, json != .null else {
            self.init()
            return
        }
        guard let object = json.objectValue else {
            throw ScenarioError(field: field, message: "must be an object")
        }
        let known: Set = ["tokens", "prefixes", "fraction", "salt"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: "\(field).\(key)", message: "unknown field (expected one of \(known.sorted()))")
        }
        func strings(_ key: String) throws(ScenarioError) -> [String] {
            guard let value = object[key] else { return [] }
            guard case .array(let items) = value else {
                throw ScenarioError(field: "\(field).\(key)", message: "must be an array of strings")
            }
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue, !text.isEmpty else {
                    throw ScenarioError(field: "\(field).\(key)[\(index)]", message: "must be a non-empty string")
                }
                result.append(text)
            }
            return result
        }
        var fraction: Double?
        if let value = object["fraction"] {
            guard let number = value.numberValue, number >= 0, number <= 1 else {
                throw ScenarioError(field: "\(field).fraction", message: "must be a number between 0 and 1")
            }
            fraction = number
        }
        self.init(
            tokens: Set(try strings("tokens")), prefixes: try strings("prefixes"),
            fraction: fraction, salt: object["salt"]?.stringValue ?? ""
        )
    }
}

private func positiveInt(_ value: JSONValue?, field: String) throws(ScenarioError) -> Int? {
    guard let value, value != .null else { return nil }
    guard let number = value.numberValue, number >= 1, number <= 1e15, number.rounded() == number else {
        throw ScenarioError(field: field, message: "must be a positive integer")
    }
    return Int(number)
}

private func nonNegativeInt(_ value: JSONValue?, field: String) throws(ScenarioError) -> Int? {
    guard let value, value != .null else { return nil }
    guard let number = value.numberValue, number >= 0, number <= 1e15, number.rounded() == number else {
        throw ScenarioError(field: field, message: "must be a non-negative integer")
    }
    return Int(number)
}

/// Reads a whole file of at most 256 MiB.
func readSmallFile(_ path: String, what: String) throws(ScenarioError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw ScenarioError(field: path, message: "cannot open \(what) file (errno \(errno))")
    }
    defer { _ = close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw ScenarioError(field: path, message: "cannot read \(what) file (errno \(errno))")
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk.prefix(count))
        if bytes.count > 256 << 20 {
            throw ScenarioError(field: path, message: "\(what) file is larger than 256 MiB")
        }
    }
    return bytes
}

// MARK: - From events

/// What `Scenario(events:…)` found in an event CSV.
public struct EventReplaySummary: Sendable, Hashable {
    /// `token_deleted` events read.
    public var tokenDeletedEvents: Int
    /// Distinct tokens that now answer 410 / UNREGISTERED.
    public var tokens: Int
    /// Installation IDs with `token_deleted` but no token in the mapping (they cannot be replayed).
    public var unmappedInstallations: [String]
}

extension Scenario {
    /// Builds a scenario from a push event CSV (`CUSTOM_ID;INSTALLATION_ID;TIMESTAMP;EVENT;…`, the
    /// export format): every installation with a `token_deleted` event answers 410 Unregistered
    /// (FCM: 404 UNREGISTERED), with the event's time as the 410 `timestamp`.
    ///
    /// The CSV has no token column, so tokens come from `installationTokens` (installation ID →
    /// token; see `Scenario.installationTokens(contentsOf:)`). The rule is added before the rules
    /// already in `self`, so a base scenario's other rules keep working.
    ///
    /// - Throws: `ScenarioError` naming `file:line` for a malformed line (fewer than 4 fields or an
    ///   unreadable timestamp on a `token_deleted` line), or when no mapping was given at all.
    public mutating func addTokenDeletedRules(
        eventsCSV: [UInt8], source: String, installationTokens: [String: String]
    ) throws(ScenarioError) -> EventReplaySummary {
        let mapping = installationTokens.merging(self.installationTokens) { given, _ in given }
        var deletedAt: [String: Int64] = [:]
        var events = 0
        var lineNumber = 0
        for line in eventsCSV.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = Substring(String(decoding: line, as: UTF8.self))
            if text.hasSuffix("\r") { text = text.dropLast() }
            if text.isEmpty { continue }
            let fields = text.split(separator: ";", omittingEmptySubsequences: false)
            guard fields.count >= 4 else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "expected at least 4 ';'-separated fields (custom ID;installation ID;time;event)")
            }
            guard fields[3] == "token_deleted" else { continue }
            guard let time = parseISO8601(fields[2]) else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "unreadable timestamp '\(fields[2])' (expected YYYY-MM-DDTHH:MM:SS)")
            }
            let installation = String(fields[1])
            guard !installation.isEmpty else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "token_deleted line without an installation ID")
            }
            events += 1
            deletedAt[installation] = max(deletedAt[installation] ?? time, time)
        }
        if events > 0, mapping.isEmpty {
            throw ScenarioError(
                field: source,
                message: "the event CSV has no token column: give installation ID → token pairs (--installation-tokens FILE or the scenario's installation_tokens)"
            )
        }
        // One rule per distinct timestamp would be exact but large; group tokens by time.
        var tokensByTime: [Int64: Set<String>] = [:]
        var unmapped: [String] = []
        for (installation, time) in deletedAt {
            if let token = mapping[installation] {
                tokensByTime[time, default: []].insert(token)
            } else {
                unmapped.append(installation)
            }
        }
        var newRules: [ScenarioRule] = []
        for (time, tokens) in tokensByTime.sorted(by: { $0.key < $1.key }) {
            newRules.append(ScenarioRule(
                name: "token_deleted at \(iso8601(milliseconds: time))",
                match: TokenMatch(tokens: tokens), answer: .unregistered(timestampMilliseconds: time)
            ))
        }
        rules.insert(contentsOf: newRules, at: 0)
        return EventReplaySummary(
            tokenDeletedEvents: events, tokens: tokensByTime.values.reduce(0) { $0 + $1.count },
            unmappedInstallations: unmapped.sorted()
        )
    }

    /// Reads an installation → token mapping: one `INSTALLATION_ID;TOKEN` pair a line
    /// (`,` also accepted as separator; blank lines and lines starting with `#` are skipped).
    public static func installationTokens(contentsOf path: String) throws(ScenarioError) -> [String: String] {
        let bytes = try readSmallFile(path, what: "installation token")
        var mapping: [String: String] = [:]
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = Substring(String(decoding: line, as: UTF8.self))
            if text.hasSuffix("\r") { text = text.dropLast() }
            if text.isEmpty || text.hasPrefix("#") { continue }
            let fields = text.split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingSpaces() }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ScenarioError(field: "\(path):\(lineNumber)", message: "expected INSTALLATION_ID;TOKEN")
            }
            mapping[String(fields[0])] = String(fields[1])
        }
        return mapping
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}

// MARK: - Runtime

/// A scenario's decision for one request.
struct ScenarioDecision {
    var answer: ScenarioAnswer
    var delay: Duration?
}

/// Applies a scenario: rule lookup and the per-token try counters of transient rules.
final class ScenarioEngine: Sendable {
    let scenario: Scenario
    private let tries = Mutex<[TryKey: Int]>([:])

    private struct TryKey: Hashable {
        var rule: Int
        var token: String
    }

    init(_ scenario: Scenario) {
        self.scenario = scenario
    }

    /// The first matching rule's answer and latency, nil when no rule matches.
    /// A transient rule answers its status for the first K tries of each token, then `.ok`.
    func decide(token: String) -> ScenarioDecision? {
        for (index, rule) in scenario.rules.enumerated() where rule.match.matches(token) {
            var answer = rule.answer
            if case .transient(_, let firstTries) = answer {
                let count = tries.withLock { counters -> Int in
                    let key = TryKey(rule: index, token: token)
                    let next = (counters[key] ?? 0) + 1
                    counters[key] = next
                    return next
                }
                if count > firstTries { answer = .ok }
            }
            return ScenarioDecision(answer: answer, delay: rule.latency?.sample())
        }
        return nil
    }
}
