/// Produces JWS signatures for one algorithm (`alg` header value).
public protocol JWSSigner: Sendable {
    /// The JWS `alg` value, e.g. `ES256`.
    var algorithm: String { get }
    /// Signs the JWS signing input (`base64url(header).base64url(claims)` as ASCII bytes)
    /// and returns the signature bytes as JWS carries them.
    func sign(_ signingInput: [UInt8]) throws(CryptoError) -> [UInt8]
}

/// Checks JWS signatures for one algorithm.
public protocol JWSVerifier: Sendable {
    /// The JWS `alg` value, e.g. `ES256`.
    var algorithm: String { get }
    /// Whether `signature` is valid for `signingInput`.
    func verify(_ signature: [UInt8], signingInput: [UInt8]) -> Bool
}

/// ES256: ECDSA P-256 / SHA-256, signature as raw `r‖s` (APNs provider tokens).
public struct ES256Signer: JWSSigner {
    /// The signing key.
    public let key: P256PrivateKey
    /// Creates a signer.
    public init(key: P256PrivateKey) { self.key = key }
    /// `ES256`.
    public var algorithm: String { "ES256" }
    /// Raw 64-byte `r‖s`.
    public func sign(_ signingInput: [UInt8]) throws(CryptoError) -> [UInt8] {
        try key.signature(for: signingInput)
    }
}

/// ES256 verification with a P-256 public key.
public struct ES256Verifier: JWSVerifier {
    /// The verification key.
    public let key: P256PublicKey
    /// Creates a verifier.
    public init(key: P256PublicKey) { self.key = key }
    /// `ES256`.
    public var algorithm: String { "ES256" }
    /// Expects raw 64-byte `r‖s`.
    public func verify(_ signature: [UInt8], signingInput: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: signingInput)
    }
}

/// RS256: RSASSA-PKCS1-v1_5 / SHA-256 (Google OAuth2 JWT-bearer assertions).
public struct RS256Signer: JWSSigner {
    /// The signing key.
    public let key: RSAPrivateKey
    /// Creates a signer.
    public init(key: RSAPrivateKey) { self.key = key }
    /// `RS256`.
    public var algorithm: String { "RS256" }
    /// PKCS#1 v1.5 signature bytes.
    public func sign(_ signingInput: [UInt8]) throws(CryptoError) -> [UInt8] {
        try key.signature(for: signingInput)
    }
}

/// RS256 verification with an RSA public key.
public struct RS256Verifier: JWSVerifier {
    /// The verification key.
    public let key: RSAPublicKey
    /// Creates a verifier.
    public init(key: RSAPublicKey) { self.key = key }
    /// `RS256`.
    public var algorithm: String { "RS256" }
    /// Expects PKCS#1 v1.5 signature bytes.
    public func verify(_ signature: [UInt8], signingInput: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: signingInput)
    }
}

/// A JWS in compact serialisation: `base64url(header).base64url(claims).base64url(signature)`.
///
/// This type does not parse JSON: callers serialise the header and claims themselves and read
/// them back from `header` / `claims`. It never checks `alg` against the verifier: do that from
/// the decoded header before trusting `verify`.
public struct JWSCompact: Sendable, Hashable {
    /// The decoded header bytes (JSON).
    public let header: [UInt8]
    /// The decoded claims (payload) bytes (JSON).
    public let claims: [UInt8]
    /// The decoded signature bytes.
    public let signature: [UInt8]
    /// The ASCII bytes that were signed: the first two encoded parts and the dot between them.
    public let signingInput: [UInt8]
    /// The compact serialisation.
    public let compact: String

    /// Signs `header` and `claims` (already-serialised JSON) and builds the compact form.
    public static func sign(header: [UInt8], claims: [UInt8], signer: some JWSSigner) throws(CryptoError) -> JWSCompact {
        var signingInput = Base64URL.encodedBytes(header)
        signingInput.append(UInt8(ascii: "."))
        signingInput.append(contentsOf: Base64URL.encodedBytes(claims))
        let signature = try signer.sign(signingInput)
        var compact = signingInput
        compact.append(UInt8(ascii: "."))
        compact.append(contentsOf: Base64URL.encodedBytes(signature))
        return JWSCompact(
            header: header, claims: claims, signature: signature, signingInput: signingInput,
            compact: String(decoding: compact, as: UTF8.self)
        )
    }

    /// Splits and decodes a compact JWS.
    ///
    /// - Throws: `CryptoError.malformedJWS` unless there are exactly three non-empty parts,
    ///   `.invalidBase64URL` if a part does not decode (the error names the part).
    public init(parsing compact: String) throws(CryptoError) {
        let bytes = Array(compact.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw CryptoError(.malformedJWS, "expected header.claims.signature, got \(parts.count) part(s) or an empty part")
        }
        func decode(_ part: ArraySlice<UInt8>, _ name: String) throws(CryptoError) -> [UInt8] {
            do {
                return try Base64URL.decode(part)
            } catch {
                throw CryptoError(.invalidBase64URL, "JWS \(name): \(error.context)")
            }
        }
        header = try decode(parts[0], "header")
        claims = try decode(parts[1], "claims")
        signature = try decode(parts[2], "signature")
        signingInput = Array(bytes[..<(parts[1].endIndex)])
        self.compact = compact
    }

    private init(header: [UInt8], claims: [UInt8], signature: [UInt8], signingInput: [UInt8], compact: String) {
        self.header = header
        self.claims = claims
        self.signature = signature
        self.signingInput = signingInput
        self.compact = compact
    }

    /// Whether the signature verifies with `verifier` (the caller checks `alg` beforehand).
    public func verify(with verifier: some JWSVerifier) -> Bool {
        verifier.verify(signature, signingInput: signingInput)
    }
}
