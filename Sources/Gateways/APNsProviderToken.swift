public import PushCrypto
public import PushModel
import Synchronization
import PushJSON
import PushSync

/// What APNs token authentication needs: the `.p8` signing key, its key ID and the team ID.
public struct APNsTokenCredentials: Sendable {
    /// The ES256 signing key.
    public let key: P256PrivateKey
    /// The 10-character key ID (`kid`).
    public let keyID: String
    /// The 10-character team ID (`iss`).
    public let teamID: String

    /// Creates credentials from a loaded key.
    public init(key: P256PrivateKey, keyID: String, teamID: String) {
        self.key = key
        self.keyID = keyID
        self.teamID = teamID
    }

    /// Loads the key from a `.p8` PEM file.
    /// - Throws: ``GatewayError/invalidCredentials(context:)`` naming the file.
    public init(p8File path: String, keyID: String, teamID: String) throws(GatewayError) {
        do {
            key = try P256PrivateKey(pemFile: path)
        } catch {
            throw .invalidCredentials(context: "APNs key \(path): \(error)")
        }
        self.keyID = keyID
        self.teamID = teamID
    }
}

/// One ES256 provider token per signing key, shared by every connection and campaign.
///
/// The token is reissued once it is `refreshAfter` old (50 minutes by default, inside Apple's
/// 60-minute validity), and never sooner than `minimumInterval` (20 minutes) after the previous
/// one, so APNs never answers TooManyProviderTokenUpdates. ``invalidate(generation:)`` asks for
/// an early reissue after ExpiredProviderToken / InvalidProviderToken, still honouring the floor.
///
/// Each token carries a `generation` that grows by one per reissue; header blocks built with a
/// token are rebuilt when the generation changes.
public final class APNsProviderTokenCache: Sendable {
    /// A signed token and its generation.
    public struct Token: Sendable, Hashable {
        /// `bearer <JWT>`: the `authorization` header value.
        public let authorization: String
        /// Seconds since 1970 in the `iat` claim.
        public let issuedAt: Int64
        /// Grows by one with each reissue.
        public let generation: UInt64
    }

    /// The credentials tokens are signed with.
    public let credentials: APNsTokenCredentials
    /// Age at which the token is reissued.
    public let refreshAfter: Duration
    /// Shortest time between two tokens.
    public let minimumInterval: Duration
    private let clock: PushClock
    private struct State {
        var token: Token?
        var forced = false
        var issued = 0
    }
    private let state = Locked(State())

    /// Creates the cache; the first token is signed on first use.
    public init(credentials: APNsTokenCredentials, clock: PushClock = .system,
                refreshAfter: Duration = .seconds(50 * 60), minimumInterval: Duration = .seconds(20 * 60)) {
        self.credentials = credentials
        self.clock = clock
        self.refreshAfter = refreshAfter
        self.minimumInterval = minimumInterval
    }

    /// Tokens signed so far.
    public var issuedCount: Int { state.withLock { $0.issued } }

    /// The current token, signing a new one when none exists, it is `refreshAfter` old, or a
    /// reissue was asked for and the floor allows it.
    /// - Throws: ``GatewayError/invalidCredentials(context:)`` when signing fails.
    public func current() throws(GatewayError) -> Token {
        let now = clock.nowSeconds()
        let refresh = refreshAfter.components.seconds
        let floor = minimumInterval.components.seconds
        let result: Result<Token, GatewayError> = state.withLock { s in
            if let token = s.token {
                let age = now - token.issuedAt
                let due = age >= refresh || (s.forced && age >= floor)
                if !due { return .success(token) }
            }
            let generation = (s.token?.generation ?? 0) &+ 1
            do {
                var header = JSONWriter(capacity: 64)
                header.beginObject()
                header.string("alg", "ES256")
                header.string("kid", credentials.keyID)
                header.endObject()
                var claims = JSONWriter(capacity: 64)
                claims.beginObject()
                claims.string("iss", credentials.teamID)
                claims.int("iat", now)
                claims.endObject()
                let jws = try JWSCompact.sign(header: header.bytes, claims: claims.bytes, signer: ES256Signer(key: credentials.key))
                let token = Token(authorization: "bearer " + jws.compact, issuedAt: now, generation: generation)
                s.token = token
                s.forced = false
                s.issued += 1
                return .success(token)
            } catch {
                return .failure(.invalidCredentials(context: "signing the APNs provider token with key \(credentials.keyID): \(error)"))
            }
        }
        return try result.get()
    }

    /// Asks for a new token because the gateway refused the one of `generation`. Ignored when
    /// a newer token already exists. The reissue happens on the next ``current()`` once the
    /// token is `minimumInterval` old; a younger token that is refused is kept (a new one
    /// signed by the same key would be refused too, and would risk TooManyProviderTokenUpdates).
    /// - Returns: true when the next ``current()`` will return a new token.
    @discardableResult
    public func invalidate(generation: UInt64) -> Bool {
        let now = clock.nowSeconds()
        return state.withLock { s in
            guard let token = s.token, token.generation == generation else { return true }
            s.forced = true
            return now - token.issuedAt >= minimumInterval.components.seconds
        }
    }
}
