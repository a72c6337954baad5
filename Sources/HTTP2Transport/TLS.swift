import PushSync
internal import COpenSSL
internal import CPushShims

/// TLS settings for a client connection.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// PEM file of CA certificates to trust; `nil` trusts the system store.
    public var caFile: String?
    /// Verify the server's certificate chain and name (default). Turn off only for benchmarks.
    public var verifyPeer: Bool
    /// Client certificate chain (PEM), for certificate-based APNs authentication.
    public var certificateFile: String?
    /// Private key (PEM) of the client certificate.
    public var privateKeyFile: String?
    /// The name to verify and to send as SNI; defaults to the host connected to.
    public var serverName: String?
    /// Offer ALPN `h2` (default). Apple's gateway also serves clients that offer none.
    public var offerALPN: Bool

    /// Creates a client configuration.
    public init(
        caFile: String? = nil, verifyPeer: Bool = true,
        certificateFile: String? = nil, privateKeyFile: String? = nil,
        serverName: String? = nil, offerALPN: Bool = true
    ) {
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
        self.offerALPN = offerALPN
    }
}

/// TLS settings for a server: certificate chain and key (PEM). ALPN selects `h2`; clients that
/// offer no ALPN are served HTTP/2 too.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// Certificate chain (PEM).
    public var certificateFile: String
    /// Private key (PEM, PKCS#8 or traditional).
    public var privateKeyFile: String
    /// When set, clients must present a certificate that chains to a CA in this file (PEM), as
    /// APNs certificate authentication does; a handshake without one fails.
    public var clientCAFile: String?

    /// Creates a server configuration.
    public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
    }
}

/// Drains OpenSSL's thread-local error queue into one line.
func openSSLErrors(_ fallback: String = "unknown OpenSSL error") -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buf, buf.count)
        parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return parts.isEmpty ? fallback : parts.joined(separator: "; ")
}

/// Owns an `SSL_CTX`. Immutable after init; OpenSSL allows `SSL_new` on one context from many
/// threads, which is the only use after configuration.
final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    let isServer: Bool

    /// Client context.
    init(client config: TLSClientConfiguration) throws(HTTP2TransportError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw .tlsConfiguration(reason: openSSLErrors("SSL_CTX_new failed"))
        }
        self.ctx = ctx
        self.isServer = false
        TLSContext.applyCommon(ctx)
        if config.offerALPN {
            let protos: [UInt8] = [2, 0x68, 0x32]  // "\x02h2"
            // SSL_CTX_set_alpn_protos returns 0 on success (unlike most OpenSSL calls).
            guard SSL_CTX_set_alpn_protos(ctx, protos, UInt32(protos.count)) == 0 else {
                throw .tlsConfiguration(reason: "cannot set ALPN: \(openSSLErrors())")
            }
        }
        if config.verifyPeer {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            if let ca = config.caFile {
                guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                    throw .tlsConfiguration(reason: "cannot load CA file \(ca): \(openSSLErrors())")
                }
            } else {
                guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                    throw .tlsConfiguration(reason: "cannot load the system trust store: \(openSSLErrors())")
                }
            }
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        }
        if let cert = config.certificateFile {
            guard let key = config.privateKeyFile else {
                throw .tlsConfiguration(reason: "client certificate \(cert) given without its private key")
            }
            try TLSContext.loadIdentity(ctx, certificate: cert, key: key)
        }
    }

    /// Server context.
    init(server config: TLSServerConfiguration) throws(HTTP2TransportError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw .tlsConfiguration(reason: openSSLErrors("SSL_CTX_new failed"))
        }
        self.ctx = ctx
        self.isServer = true
        TLSContext.applyCommon(ctx)
        try TLSContext.loadIdentity(ctx, certificate: config.certificateFile, key: config.privateKeyFile)
        if let ca = config.clientCAFile {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1, let names = SSL_load_client_CA_file(ca) else {
                throw .tlsConfiguration(reason: "cannot load client CA file \(ca): \(openSSLErrors())")
            }
            SSL_CTX_set_client_CA_list(ctx, names)  // takes ownership of `names`
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        CPushShims_SSL_CTX_select_h2_alpn(ctx)
    }

    deinit { SSL_CTX_free(ctx) }

    private static func applyCommon(_ ctx: OpaquePointer) {
        _ = CPushShims_SSL_CTX_set_min_proto_version_tls12(ctx)
        _ = CPushShims_SSL_CTX_set_default_options(ctx)
        _ = CPushShims_SSL_CTX_set_mode(ctx, CPushShims_SSL_MODE_partial_writes())
    }

    private static func loadIdentity(_ ctx: OpaquePointer, certificate: String, key: String) throws(HTTP2TransportError) {
        guard SSL_CTX_use_certificate_chain_file(ctx, certificate) == 1 else {
            throw .tlsConfiguration(reason: "cannot load certificate \(certificate): \(openSSLErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
            throw .tlsConfiguration(reason: "cannot load private key \(PushFile.redacted(key)): \(openSSLErrors())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .tlsConfiguration(reason: "private key \(PushFile.redacted(key)) does not match certificate \(certificate)")
        }
    }
}

/// One TLS connection over memory BIOs: ciphertext in and out as bytes, plaintext in and out
/// as bytes. Sans-IO: it never touches a socket. Owned by one connection on one thread.
final class TLSSession {
    private let ssl: OpaquePointer
    private let rbio: OpaquePointer  // ciphertext from the peer
    private let wbio: OpaquePointer  // ciphertext to the peer
    private(set) var handshakeComplete = false
    /// The peer sent close_notify.
    private(set) var peerClosed = false
    /// What to check when the handshake fails, from this side's point of view.
    private let handshakeHint: String

    init(context: TLSContext, peerHost: String?) throws(HTTP2TransportError) {
        handshakeHint = context.isServer
            ? "check the client: its TLS version, and its certificate if one is required"
            : "check the CA file and the server's certificate name"
        guard let ssl = SSL_new(context.ctx),
              let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem())
        else { throw .tlsConfiguration(reason: openSSLErrors("SSL_new failed")) }
        self.ssl = ssl
        self.rbio = rbio
        self.wbio = wbio
        _ = CPushShims_BIO_set_mem_eof_return(rbio, -1)
        _ = CPushShims_BIO_set_mem_eof_return(wbio, -1)
        SSL_set_bio(ssl, rbio, wbio)  // ssl owns both BIOs now
        if context.isServer {
            SSL_set_accept_state(ssl)
        } else {
            if let host = peerHost, CPushShims_SSL_set_peer_host(ssl, host) != 1 {
                throw .tlsConfiguration(reason: "cannot set the expected peer name \(host): \(openSSLErrors())")
            }
            SSL_set_connect_state(ssl)
        }
    }

    deinit { SSL_free(ssl) }

    /// Whether ALPN selected `h2`.
    var negotiatedH2: Bool { CPushShims_SSL_get_alpn_is_h2(ssl) == 1 }

    /// Hands ciphertext received from the peer to OpenSSL.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = BIO_write(rbio, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            if n <= 0 { break }  // a memory BIO only fails on allocation failure
            offset += Int(n)
        }
    }

    /// Advances the handshake; returns true once it is complete.
    func handshake() throws(HTTP2TransportError) -> Bool {
        if handshakeComplete { return true }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            handshakeComplete = true
            return true
        }
        let err = SSL_get_error(ssl, rc)
        if err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE { return false }
        let verify = SSL_get_verify_result(ssl)
        var reason = openSSLErrors("handshake error \(err)")
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            reason = "certificate verification failed: \(String(cString: text)) (\(reason))"
        }
        throw .tlsHandshakeFailed(reason: "\(reason) (\(handshakeHint))")
    }

    /// Decrypts everything available into `out`; returns the number of plaintext bytes.
    func readPlaintext(into out: ByteQueue) throws(HTTP2TransportError) -> Int {
        var total = 0
        while true {
            let p = out.reserve(16 * 1024)
            ERR_clear_error()
            let n = SSL_read(ssl, p, Int32(out.writableBytes > Int(Int32.max) ? Int(Int32.max) : out.writableBytes))
            if n > 0 {
                out.commit(Int(n))
                total += Int(n)
                continue
            }
            let err = SSL_get_error(ssl, n)
            switch err {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return total
            case SSL_ERROR_ZERO_RETURN:
                peerClosed = true
                return total
            default:
                throw .protocolError(reason: "TLS read failed: \(openSSLErrors("SSL error \(err)"))")
            }
        }
    }

    /// Encrypts `bytes`; the ciphertext waits in the write BIO for `drainCiphertext`.
    func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(HTTP2TransportError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, 1 << 20)))
            if n <= 0 {
                throw .protocolError(reason: "TLS write failed: \(openSSLErrors())")
            }
            offset += Int(n)
        }
    }

    /// Moves pending ciphertext into `out`.
    func drainCiphertext(into out: ByteQueue) {
        while true {
            let pending = CPushShims_BIO_ctrl_pending(wbio)
            if pending == 0 { return }
            let p = out.reserve(pending)
            let n = BIO_read(wbio, p, Int32(pending))
            if n <= 0 { return }
            out.commit(Int(n))
        }
    }

    /// Queues a close_notify alert.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }
}
