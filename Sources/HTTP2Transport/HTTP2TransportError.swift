/// Every failure the transport reports. Request-level cases say whether the request may be
/// retried safely (``isRetryable``): the peer did not process it, or the connection died under it.
public enum HTTP2TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection could not be made (address, port, system error text).
    case connectFailed(host: String, port: Int, reason: String)
    /// Name resolution failed.
    case resolveFailed(host: String, reason: String)
    /// The TLS handshake failed; `reason` carries OpenSSL's error, e.g. the verification failure,
    /// and what to check on this side.
    case tlsHandshakeFailed(reason: String)
    /// A TLS configuration could not be built (missing file, bad key, key/certificate mismatch).
    case tlsConfiguration(reason: String)
    /// The peer broke the HTTP/2 protocol or sent bytes that are not HTTP/2; the connection closed.
    case protocolError(reason: String)
    /// The connection was lost while the request was in flight (the peer may or may not have
    /// processed it; APNs de-duplicates nothing, so callers decide).
    case connectionLost(reason: String)
    /// The request was never sent: the connection closed or was draining before it could be.
    case notSent(reason: String)
    /// The peer sent GOAWAY and will not process this stream (its ID is above `lastStreamID`).
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// The peer refused the stream (`REFUSED_STREAM`): it was not processed.
    case refusedStream
    /// The peer reset the stream with this HTTP/2 error code.
    case streamReset(errorCode: UInt32)
    /// No complete response before the request's deadline; the stream was cancelled.
    case timeout
    /// A server could not listen on the address.
    case bindFailed(host: String, port: Int, reason: String)
    /// The operation needs a running client or server that has been shut down.
    case shutDown

    /// True when retrying the request elsewhere is safe and sensible.
    public var isRetryable: Bool {
        switch self {
        case .connectFailed, .resolveFailed, .connectionLost, .notSent, .goAway, .refusedStream, .timeout:
            return true
        case .streamReset(let code):
            // REFUSED_STREAM (7) is covered above; CANCEL (8) and INTERNAL_ERROR (2) are transient.
            return code == 7 || code == 8 || code == 2 || code == 0xb /* ENHANCE_YOUR_CALM */
        case .tlsHandshakeFailed, .tlsConfiguration, .protocolError, .bindFailed, .shutDown:
            return false
        }
    }

    /// A one-line description that says what happened and what to check.
    public var description: String {
        switch self {
        case .connectFailed(let host, let port, let reason):
            return "cannot connect to \(host):\(port): \(reason) (is the gateway running and reachable?)"
        case .resolveFailed(let host, let reason):
            return "cannot resolve \(host): \(reason)"
        case .tlsHandshakeFailed(let reason):
            return "TLS handshake failed: \(reason)"
        case .tlsConfiguration(let reason):
            return "TLS configuration error: \(reason)"
        case .protocolError(let reason):
            return "HTTP/2 protocol error: \(reason)"
        case .connectionLost(let reason):
            return "connection lost while the request was in flight: \(reason)"
        case .notSent(let reason):
            return "request not sent: \(reason)"
        case .goAway(let last, let code):
            return "peer sent GOAWAY (last stream \(last), error code \(code)); request not processed"
        case .refusedStream:
            return "peer refused the stream (REFUSED_STREAM); request not processed"
        case .streamReset(let code):
            return "peer reset the stream (error code \(code))"
        case .timeout:
            return "no response before the request's deadline"
        case .bindFailed(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        case .shutDown:
            return "the client or server has been shut down"
        }
    }
}
