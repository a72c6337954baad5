internal import COpenSSL
internal import CPushShims
import PushSync
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// One owner class per OpenSSL object: `init` creates (or adopts) it, `deinit` frees it.
// None of them leaves this module.

/// Owns an `EVP_PKEY`.
///
/// Thread safety: after loading or generation the key is never mutated by this module.
/// OpenSSL 3 allows a key to be used by several threads at once for signing and verification,
/// each with its own `EVP_MD_CTX` (its lazy provider-export cache is internally locked), which is
/// how every caller here uses it. That invariant is what makes the public key classes Sendable.
final class EVPKey {
    let pointer: OpaquePointer

    /// Adopts a key returned by OpenSSL (ownership moves to this object).
    init(adopting pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The key's base type (`EVP_PKEY_EC`, `EVP_PKEY_RSA`, …).
    var baseID: Int32 { EVP_PKEY_get_base_id(pointer) }

    /// The EC group name (`prime256v1` for P-256), or nil for non-EC keys.
    var groupName: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what `.p8` files hold) or a
    /// traditional `BEGIN EC PRIVATE KEY` / `BEGIN RSA PRIVATE KEY` block. Encrypted keys are refused.
    static func privateKey(pem: String, context: String) throws(CryptoError) -> EVPKey {
        let bio = try MemoryBIO(contents: Array(pem.utf8))
        guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw CryptoError.openSSL(.invalidKey, "\(context): no readable PEM private key")
        }
        return EVPKey(adopting: key)
    }

    /// Parses a PEM `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) block.
    static func publicKey(pem: String, context: String) throws(CryptoError) -> EVPKey {
        let bio = try MemoryBIO(contents: Array(pem.utf8))
        guard let key = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw CryptoError.openSSL(.invalidKey, "\(context): no readable PEM public key")
        }
        return EVPKey(adopting: key)
    }

    /// Generates a key with a fresh `EVP_PKEY_CTX`; `configure` sets curve or size.
    static func generate(
        algorithm: String, context: String, configure: (OpaquePointer) -> Int32
    ) throws(CryptoError) -> EVPKey {
        let generator = try KeyGenerationContext(algorithm: algorithm)
        guard EVP_PKEY_keygen_init(generator.pointer) == 1, configure(generator.pointer) == 1 else {
            throw CryptoError.openSSL(.operationFailed, "\(context): key generation setup")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(generator.pointer, &key) == 1, let key else {
            throw CryptoError.openSSL(.operationFailed, "\(context): key generation")
        }
        return EVPKey(adopting: key)
    }

    /// The PKCS#8 PEM text of a private key.
    func privatePEM() throws(CryptoError) -> String {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw CryptoError.openSSL(.operationFailed, "PEM_write_bio_PrivateKey")
        }
        return bio.readAll()
    }

    /// The SubjectPublicKeyInfo PEM text of the public half.
    func publicPEM() throws(CryptoError) -> String {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.pointer, pointer) == 1 else {
            throw CryptoError.openSSL(.operationFailed, "PEM_write_bio_PUBKEY")
        }
        return bio.readAll()
    }

    /// Signs `data` with SHA-256 (ECDSA keys give DER, RSA keys PKCS#1 v1.5).
    func signSHA256(_ data: [UInt8], context: String) throws(CryptoError) -> [UInt8] {
        let digest = try DigestContext()
        guard EVP_DigestSignInit(digest.pointer, nil, EVP_sha256(), nil, pointer) == 1 else {
            throw CryptoError.openSSL(.operationFailed, "\(context): EVP_DigestSignInit")
        }
        var length = 0
        let sized = data.withUnsafeBufferPointer { input in
            EVP_DigestSign(digest.pointer, nil, &length, input.baseAddress, input.count)
        }
        guard sized == 1 else {
            throw CryptoError.openSSL(.operationFailed, "\(context): EVP_DigestSign (size)")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = signature.withUnsafeMutableBufferPointer { output in
            data.withUnsafeBufferPointer { input in
                EVP_DigestSign(digest.pointer, output.baseAddress, &length, input.baseAddress, input.count)
            }
        }
        guard signed == 1 else {
            throw CryptoError.openSSL(.operationFailed, "\(context): EVP_DigestSign")
        }
        signature.removeSubrange(length...)
        return signature
    }

    /// Verifies a SHA-256 signature (DER for ECDSA, PKCS#1 v1.5 for RSA). Never throws:
    /// any failure, including a malformed signature, is `false`.
    func verifySHA256(signature: [UInt8], data: [UInt8]) -> Bool {
        guard let digest = try? DigestContext() else { return false }
        guard EVP_DigestVerifyInit(digest.pointer, nil, EVP_sha256(), nil, pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = signature.withUnsafeBufferPointer { sig in
            data.withUnsafeBufferPointer { input in
                EVP_DigestVerify(digest.pointer, sig.baseAddress, sig.count, input.baseAddress, input.count)
            }
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}

/// Owns a memory `BIO`; with `contents` it reads from a private copy of the bytes.
final class MemoryBIO {
    let pointer: OpaquePointer
    // The read-only BIO points into this storage, so it must live as long as the BIO.
    private let storage: UnsafeMutableBufferPointer<UInt8>?

    /// An empty, writable memory BIO.
    init() throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw CryptoError.openSSL(.operationFailed, "BIO_new")
        }
        pointer = bio
        storage = nil
    }

    /// A read-only memory BIO over a copy of `contents`.
    init(contents: [UInt8]) throws(CryptoError) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(contents.count, 1))
        _ = copy.initialize(from: contents)
        guard let bio = BIO_new_mem_buf(copy.baseAddress, Int32(contents.count)) else {
            copy.deallocate()
            throw CryptoError.openSSL(.operationFailed, "BIO_new_mem_buf")
        }
        pointer = bio
        storage = copy
    }

    deinit {
        BIO_free(pointer)
        storage?.deallocate()
    }

    /// Drains everything written to the BIO as UTF-8 text.
    func readAll() -> String {
        let pending = CPushShims_BIO_ctrl_pending(pointer)
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32(pending)) }
        return String(decoding: bytes.prefix(max(Int(read), 0)), as: UTF8.self)
    }
}

/// Owns an `EVP_MD_CTX` for one sign or verify operation.
final class DigestContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.openSSL(.operationFailed, "EVP_MD_CTX_new")
        }
        pointer = context
    }

    deinit { EVP_MD_CTX_free(pointer) }
}

/// Owns an `EVP_PKEY_CTX` used for key generation.
final class KeyGenerationContext {
    let pointer: OpaquePointer

    init(algorithm: String) throws(CryptoError) {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw CryptoError.openSSL(.operationFailed, "EVP_PKEY_CTX_new_from_name(\(algorithm))")
        }
        pointer = context
    }

    deinit { EVP_PKEY_CTX_free(pointer) }
}

/// Reads a whole key file (at most 1 MiB) as text. Errors name the file, not its directory.
func readKeyFile(_ path: String) throws(CryptoError) -> String {
    let named = PushFile.redacted(path)
    do {
        return String(decoding: try PushFile.readAll(path: path, limit: 1 << 20), as: UTF8.self)
    } catch {
        switch error.kind {
        case .open(let code): throw CryptoError(.unreadableFile, "cannot open key file \(named): errno \(code)")
        case .read(let code): throw CryptoError(.unreadableFile, "cannot read key file \(named): errno \(code)")
        case .tooLarge: throw CryptoError(.unreadableFile, "key file \(named) is larger than 1 MiB")
        }
    }
}

/// A key that parses from PEM text, and so from a PEM file (`.p8`, service-account PEM).
public protocol PEMKeyFile {
    /// Parses PEM text.
    init(pemRepresentation pem: String) throws(CryptoError)
}

extension PEMKeyFile {
    /// Reads and parses a PEM key file (at most 1 MiB). Errors name the file, not its directory.
    public init(pemFile path: String) throws(CryptoError) {
        let pem = try readKeyFile(path)
        do {
            try self.init(pemRepresentation: pem)
        } catch {
            throw CryptoError(error.kind, "\(PushFile.redacted(path)): \(error.context)")
        }
    }
}
