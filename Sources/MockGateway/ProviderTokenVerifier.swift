public import PushCrypto
import Synchronization
import PushJSON
import PushModel

/// A key the gateway trusts for APNs provider tokens: the `kid` it is named by and its team.
public struct ProviderVerificationKey: Sendable {
    /// The 10-character key ID that tokens carry as `kid`.
    public var keyID: String
    /// The team ID that tokens signed with this key must carry as `iss`.
    public var teamID: String
    /// The P-256 public key.
    public var publicKey: P256PublicKey

    /// Creates a key.
    public init(keyID: String, teamID: String, publicKey: P256PublicKey) {
        self.keyID = keyID
        self.teamID = teamID
        self.publicKey = publicKey
    }

    /// Parses `KEY_ID:TEAM_ID:PUBLIC_KEY.pem` (the `--verify-key` argument) and reads the file.
    /// The PEM may be a public key or the `.p8` private key itself.
    ///
    /// - Throws: `ProviderKeyError` naming the argument.
    public init(argument: String) throws(ProviderKeyError) {
        let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw ProviderKeyError(argument: argument, message: "expected KEY_ID:TEAM_ID:PUBLIC_KEY.pem")
        }
        do {
            publicKey = try P256PublicKey(pemFile: String(parts[2]))
        } catch {
            throw ProviderKeyError(argument: argument, message: error.description)
        }
        keyID = String(parts[0])
        teamID = String(parts[1])
    }
}

/// A `--verify-key` argument that cannot be used.
public struct ProviderKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The argument as given.
    public var argument: String
    /// What is wrong.
    public var message: String
    /// `--verify-key ARG: message`.
    public var description: String { "--verify-key \(argument): \(message)" }
}

/// Checks APNs provider tokens the way Apple does, per connection.
///
/// A connection's current token is verified once (one ES256 check); later requests with the same
/// string only re-check its age. A different token on a connection that adopted its current one
/// less than 20 minutes ago is refused with 429 TooManyProviderTokenUpdates and not adopted.
/// A token is expired when its `iat` is more than one hour before the gateway clock.
final class ProviderTokenVerifier: Sendable {
    static let maximumAgeMilliseconds: Int64 = 60 * 60 * 1000
    static let minimumUpdateIntervalMilliseconds: Int64 = 20 * 60 * 1000

    private let keys: [String: ProviderVerificationKey]
    private let clock: PushClock
    private let shards: [ConnectionShard]

    /// A connection's token state.
    struct ConnectionState {
        /// The `authorization` value that carried the adopted token (compared first, as is).
        var header: String?
        /// The adopted (valid) token and its facts.
        var token: String?
        var issuedAtMilliseconds: Int64 = 0
        var adoptedAtMilliseconds: Int64 = 0
        /// The last token that failed verification, to avoid re-checking it on every request.
        var lastRejected: String?
        var lastRejectedReason: APNsReason?
        /// Whether a valid token (or a non-APNs request) has opened the connection beyond one stream.
        var opened = false
    }

    /// One lock per shard of connections; a connection lives on one loop thread, so there is no
    /// contention within a connection, only between threads that share a shard.
    final class ConnectionShard: Sendable {
        let states = Mutex<[UInt64: ConnectionState]>([:])
    }

    init(keys: [ProviderVerificationKey], clock: PushClock) {
        var byID: [String: ProviderVerificationKey] = [:]
        for key in keys { byID[key.keyID] = key }
        self.keys = byID
        self.clock = clock
        shards = (0..<16).map { _ in ConnectionShard() }
    }

    private func shard(_ connectionID: UInt64) -> ConnectionShard {
        shards[Int(connectionID % UInt64(shards.count))]
    }

    /// Forgets a closed connection.
    func connectionClosed(_ connectionID: UInt64) {
        _ = shard(connectionID).states.withLock { $0.removeValue(forKey: connectionID) }
    }

    /// Marks the connection opened; true the first time (the caller raises its stream limit).
    func open(_ connectionID: UInt64) -> Bool {
        shard(connectionID).states.withLock { states in
            if states[connectionID]?.opened == true { return false }
            states[connectionID, default: ConnectionState()].opened = true
            return true
        }
    }

    /// nil when the request's `authorization` values are acceptable, else the rejection.
    /// `opensConnection` becomes true when a token is adopted on a connection not yet opened.
    func check(authorization header: String?, connectionID: UInt64, opensConnection: inout Bool) -> APNsReason? {
        let now = clock.nowMilliseconds()
        let shard = shard(connectionID)
        // Fast path: the same header as the connection's adopted token (no parsing, no copy).
        if let header {
            let issuedAt = shard.states.withLock { states -> Int64? in
                guard let state = states[connectionID], state.header == header else { return nil }
                return state.issuedAtMilliseconds
            }
            if let issuedAt {
                return now - issuedAt > Self.maximumAgeMilliseconds ? .expiredProviderToken : nil
            }
        }
        guard let token = bearerToken(header) else { return .missingProviderToken }
        let state = shard.states.withLock { $0[connectionID] } ?? ConnectionState()

        if token == state.token {
            return now - state.issuedAtMilliseconds > Self.maximumAgeMilliseconds ? .expiredProviderToken : nil
        }
        if token == state.lastRejected, let reason = state.lastRejectedReason, reason != .expiredProviderToken {
            return reason
        }
        let verdict = verify(token)
        var updated = state
        let result: APNsReason?
        switch verdict {
        case .failure(let reason):
            updated.lastRejected = token
            updated.lastRejectedReason = reason
            result = reason
        case .success(let issuedAt):
            if now - issuedAt > Self.maximumAgeMilliseconds {
                result = .expiredProviderToken
            } else if state.token != nil, now - state.adoptedAtMilliseconds < Self.minimumUpdateIntervalMilliseconds {
                result = .tooManyProviderTokenUpdates
            } else {
                updated.token = token
                updated.header = header
                updated.issuedAtMilliseconds = issuedAt
                updated.adoptedAtMilliseconds = now
                opensConnection = !state.opened
                updated.opened = true
                result = nil
            }
        }
        shard.states.withLock { $0[connectionID] = updated }
        return result
    }

    /// Verifies signature, `alg`, `kid` and `iss`; returns `iat` in milliseconds.
    private func verify(_ token: String) -> Result<Int64, APNsReason> {
        guard let jws = try? JWSCompact(parsing: token),
              let header = try? JSONValue.parse(jws.header),
              let claims = try? JSONValue.parse(jws.claims),
              header["alg"]?.stringValue == "ES256",
              let keyID = header["kid"]?.stringValue,
              let key = keys[keyID],
              claims["iss"]?.stringValue == key.teamID,
              let issuedAt = claims["iat"]?.numberValue, issuedAt.rounded() == issuedAt, issuedAt >= 0, issuedAt < 1e12,
              jws.verify(with: ES256Verifier(key: key.publicKey))
        else {
            return .failure(.invalidProviderToken)
        }
        return .success(Int64(issuedAt) * 1000)
    }
}

extension String {
    func trimmingCharacters(asciiSpaces: Bool) -> String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
