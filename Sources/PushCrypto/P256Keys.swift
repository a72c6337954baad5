internal import COpenSSL

/// A NIST P-256 private key for ES256 (ECDSA with SHA-256), e.g. an APNs `.p8` provider key.
///
/// Immutable after creation; safe to share across threads (see `EVPKey`).
public final class P256PrivateKey: PEMKeyFile, @unchecked Sendable {
    // @unchecked: holds only an immutable EVP_PKEY; OpenSSL 3 permits concurrent sign/verify on it.
    let key: EVPKey

    private init(key: EVPKey) {
        self.key = key
    }

    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, the `.p8` format) or SEC1
    /// (`BEGIN EC PRIVATE KEY`).
    ///
    /// - Throws: `CryptoError.invalidKey` if nothing parses, `.wrongKeyType` if it is not P-256.
    public convenience init(pemRepresentation pem: String) throws(CryptoError) {
        let key = try EVPKey.privateKey(pem: pem, context: "P-256 private key")
        try P256PublicKey.checkP256(key)
        self.init(key: key)
    }


    /// Generates a fresh random key.
    public static func generate() throws(CryptoError) -> P256PrivateKey {
        let key = try EVPKey.generate(algorithm: "EC", context: "P-256") { context in
            EVP_PKEY_CTX_set_group_name(context, "P-256")
        }
        return P256PrivateKey(key: key)
    }

    /// The PKCS#8 PEM text (`BEGIN PRIVATE KEY`).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.privatePEM()
    }

    /// The matching public key.
    public func publicKey() throws(CryptoError) -> P256PublicKey {
        try P256PublicKey(pemRepresentation: key.publicPEM())
    }

    /// Signs `data` with ECDSA P-256 / SHA-256 and returns the raw 64-byte `r‖s` form of JWS.
    /// ECDSA is randomised: two signatures of the same data differ, and both verify.
    public func signature(for data: [UInt8]) throws(CryptoError) -> [UInt8] {
        try ECDSASignature.rawFromDER(derSignature(for: data))
    }

    /// Signs `data` and returns OpenSSL's DER `ECDSA-Sig-Value` (what `openssl dgst -sign` writes).
    public func derSignature(for data: [UInt8]) throws(CryptoError) -> [UInt8] {
        try key.signSHA256(data, context: "ES256 sign")
    }
}

/// A NIST P-256 public key that verifies ES256 signatures.
///
/// Immutable after creation; safe to share across threads (see `EVPKey`).
public final class P256PublicKey: PEMKeyFile, @unchecked Sendable {
    // @unchecked: holds only an immutable EVP_PKEY; OpenSSL 3 permits concurrent verify on it.
    let key: EVPKey

    /// Parses a PEM `BEGIN PUBLIC KEY` block; a private key PEM is accepted too (its public half).
    ///
    /// - Throws: `CryptoError.invalidKey` if nothing parses, `.wrongKeyType` if it is not P-256.
    public init(pemRepresentation pem: String) throws(CryptoError) {
        let key: EVPKey
        if pem.contains("PRIVATE KEY-----") {
            key = try EVPKey.privateKey(pem: pem, context: "P-256 public key")
        } else {
            key = try EVPKey.publicKey(pem: pem, context: "P-256 public key")
        }
        try Self.checkP256(key)
        self.key = key
    }


    /// The SubjectPublicKeyInfo PEM text (`BEGIN PUBLIC KEY`).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.publicPEM()
    }

    /// Whether `signature` (raw 64-byte `r‖s`) is a valid ES256 signature of `data`.
    /// Any malformed input is simply `false`.
    public func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        guard let der = try? ECDSASignature.derFromRaw(signature) else { return false }
        return key.verifySHA256(signature: der, data: data)
    }

    /// Whether `signature` (DER) is a valid ECDSA P-256 / SHA-256 signature of `data`.
    public func isValidDERSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        key.verifySHA256(signature: signature, data: data)
    }

    static func checkP256(_ key: EVPKey) throws(CryptoError) {
        guard key.baseID == EVP_PKEY_EC else {
            throw CryptoError(.wrongKeyType, "expected an EC key, got OpenSSL key type \(key.baseID)")
        }
        let group = key.groupName
        guard group == "prime256v1" || group == "P-256" else {
            throw CryptoError(.wrongKeyType, "expected curve P-256, got \(group ?? "unknown")")
        }
    }
}
