internal import COpenSSL

/// An RSA private key for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), e.g. a Google service account's.
///
/// Immutable after creation; safe to share across threads (see `EVPKey`).
public final class RSAPrivateKey: PEMKeyFile, @unchecked Sendable {
    // @unchecked: holds only an immutable EVP_PKEY; OpenSSL 3 permits concurrent sign/verify on it.
    let key: EVPKey

    private init(key: EVPKey) {
        self.key = key
    }

    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, as in service-account JSON) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// - Throws: `CryptoError.invalidKey` if nothing parses, `.wrongKeyType` if it is not RSA.
    public convenience init(pemRepresentation pem: String) throws(CryptoError) {
        let key = try EVPKey.privateKey(pem: pem, context: "RSA private key")
        try RSAPublicKey.checkRSA(key)
        self.init(key: key)
    }


    /// Generates a fresh key of `bits` bits (2048 by default; slow, meant for tests and tools).
    public static func generate(bits: Int = 2048) throws(CryptoError) -> RSAPrivateKey {
        let key = try EVPKey.generate(algorithm: "RSA", context: "RSA-\(bits)") { context in
            EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits))
        }
        return RSAPrivateKey(key: key)
    }

    /// The PKCS#8 PEM text (`BEGIN PRIVATE KEY`).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.privatePEM()
    }

    /// The matching public key.
    public func publicKey() throws(CryptoError) -> RSAPublicKey {
        try RSAPublicKey(pemRepresentation: key.publicPEM())
    }

    /// Signs `data` with RSASSA-PKCS1-v1_5 / SHA-256 (deterministic; length = modulus size).
    public func signature(for data: [UInt8]) throws(CryptoError) -> [UInt8] {
        try key.signSHA256(data, context: "RS256 sign")
    }
}

/// An RSA public key that verifies RS256 signatures.
///
/// Immutable after creation; safe to share across threads (see `EVPKey`).
public final class RSAPublicKey: @unchecked Sendable {
    // @unchecked: holds only an immutable EVP_PKEY; OpenSSL 3 permits concurrent verify on it.
    let key: EVPKey

    /// Parses a PEM `BEGIN PUBLIC KEY` block; a private key PEM is accepted too (its public half).
    ///
    /// - Throws: `CryptoError.invalidKey` if nothing parses, `.wrongKeyType` if it is not RSA.
    public init(pemRepresentation pem: String) throws(CryptoError) {
        let key: EVPKey
        if pem.contains("PRIVATE KEY-----") {
            key = try EVPKey.privateKey(pem: pem, context: "RSA public key")
        } else {
            key = try EVPKey.publicKey(pem: pem, context: "RSA public key")
        }
        try Self.checkRSA(key)
        self.key = key
    }

    /// The SubjectPublicKeyInfo PEM text (`BEGIN PUBLIC KEY`).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.publicPEM()
    }

    /// Whether `signature` is a valid RS256 signature of `data`. Malformed input is `false`.
    public func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        key.verifySHA256(signature: signature, data: data)
    }

    static func checkRSA(_ key: EVPKey) throws(CryptoError) {
        guard key.baseID == EVP_PKEY_RSA else {
            throw CryptoError(.wrongKeyType, "expected an RSA key, got OpenSSL key type \(key.baseID)")
        }
    }
}
