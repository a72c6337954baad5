internal import COpenSSL
internal import CPushShims

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A throwaway TLS identity for a local server: a fresh P-256 key and a self-signed certificate
/// for `127.0.0.1`, `::1` and `localhost`. Clients trust it by using the certificate itself as
/// their CA file. `pushengine bench` uses one for its embedded gateway when it is given no
/// certificate, so TLS works with no set-up; it is not meant for anything reachable from outside.
public struct SelfSignedCertificate: Sendable, Hashable {
    /// The certificate (PEM). Also the CA file a client trusts.
    public let certificatePEM: String
    /// The private key (PKCS#8 PEM).
    public let privateKeyPEM: String

    /// Generates a key and a certificate valid from an hour ago for `validityDays` days.
    /// - Parameter subjectAltNames: OpenSSL's syntax, e.g. `IP:127.0.0.1` or `DNS:localhost`.
    public static func generate(
        commonName: String = "PushEngine local gateway",
        subjectAltNames: [String] = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"],
        validityDays: Int = 7
    ) throws(CryptoError) -> SelfSignedCertificate {
        guard !subjectAltNames.isEmpty, validityDays > 0 else {
            throw CryptoError(.operationFailed, "a self-signed certificate needs a subject alternative name and a positive validity")
        }
        let key = try EVPKey.generate(algorithm: "EC", context: "self-signed certificate key") { context in
            EVP_PKEY_CTX_set_group_name(context, "P-256")
        }
        let bio = try MemoryBIO()
        guard CPushShims_write_self_signed_certificate(key.pointer, commonName, subjectAltNames.joined(separator: ","),
                                                       Int32(clamping: validityDays), bio.pointer) == 1 else {
            throw CryptoError.openSSL(.operationFailed, "self-signed certificate for \(subjectAltNames.joined(separator: ","))")
        }
        return SelfSignedCertificate(certificatePEM: bio.readAll(), privateKeyPEM: try key.privatePEM())
    }

    /// The paths of the two PEM files ``write(toDirectory:)`` made: what a TLS server configuration
    /// names as its certificate chain and private key.
    public struct Files: Sendable, Hashable {
        /// The certificate (PEM); also the CA file a client trusts.
        public let certificateFile: String
        /// The private key (PKCS#8 PEM, mode 0600).
        public let privateKeyFile: String
    }

    /// Writes `certificate.pem` and `private-key.pem` (mode 0600) into `directory`, which must
    /// exist, and returns their paths. A server serves them with
    /// `TLSServerConfiguration(certificateFile:privateKeyFile:)`; a client trusts the server
    /// with `TLSClientConfiguration(caFile: <directory>/certificate.pem)`.
    public func write(toDirectory directory: String) throws(CryptoError) -> Files {
        let certificateFile = directory + "/certificate.pem"
        let privateKeyFile = directory + "/private-key.pem"
        try Self.writeFile(certificateFile, certificatePEM, mode: 0o644)
        try Self.writeFile(privateKeyFile, privateKeyPEM, mode: 0o600)
        return Files(certificateFile: certificateFile, privateKeyFile: privateKeyFile)
    }

    private static func writeFile(_ path: String, _ text: String, mode: mode_t) throws(CryptoError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CryptoError(.unreadableFile, "cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        // open(2) applies the mode only when it creates the file: an existing key file keeps
        // its old (perhaps world-readable) mode unless it is set here.
        guard fchmod(fd, mode) == 0 else { throw CryptoError(.unreadableFile, "cannot set the mode of \(path): errno \(errno)") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CryptoError(.unreadableFile, "cannot write \(path): errno \(errno)")
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// POSIX `write(2)`, named apart from ``SelfSignedCertificate/write(toDirectory:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
