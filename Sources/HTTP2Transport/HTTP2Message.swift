/// One header field of an HTTP/2 message, as raw bytes would arrive on the wire
/// (lower-case names; pseudo-headers such as `:path` are kept separately).
public struct HTTP2HeaderField: Sendable, Hashable {
    /// Lower-case header name.
    public var name: String
    /// Header value.
    public var value: String
    /// Never add this field to the HPACK dynamic table. Use it for values that are unique per
    /// message (`apns-id`) or secret: indexing them only churns the table on both sides.
    public var neverIndex: Bool

    /// Creates a header field.
    public init(_ name: String, _ value: String, neverIndex: Bool = false) {
        self.name = name
        self.value = value
        self.neverIndex = neverIndex
    }

    /// Fields are equal when name and value are; `neverIndex` is an encoding hint.
    public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.value == b.value }

    /// Hashes name and value.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(value)
    }
}

/// A complete request as the server hands it to its handler: pseudo-headers split out,
/// regular headers in arrival order (duplicates preserved), the whole body.
public struct HTTP2ServerRequest: Sendable {
    /// `:method`.
    public var method: String
    /// `:path`.
    public var path: String
    /// `:authority`, if sent.
    public var authority: String?
    /// `:scheme`, if sent.
    public var scheme: String?
    /// Regular headers in arrival order; duplicates are preserved so handlers can detect them.
    public var headers: [HTTP2HeaderField]
    /// The request body.
    public var body: [UInt8]
    /// Identifies the connection within this server for its whole life (never reused).
    public var connectionID: UInt64
    /// The HTTP/2 stream ID.
    public var streamID: Int32

    /// Creates a request (tests use this to call a handler directly, without a socket).
    public init(
        method: String, path: String, authority: String? = nil, scheme: String? = nil,
        headers: [HTTP2HeaderField] = [], body: [UInt8] = [],
        connectionID: UInt64 = 0, streamID: Int32 = 1
    ) {
        self.method = method
        self.path = path
        self.authority = authority
        self.scheme = scheme
        self.headers = headers
        self.body = body
        self.connectionID = connectionID
        self.streamID = streamID
    }

    /// Every value of a header, in arrival order.
    public func values(of name: String) -> [String] {
        headers.lazy.filter { $0.name == name }.map(\.value)
    }

    /// The first value of a header.
    public func value(of name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// What the server should do with the connection after it sends a response.
/// Used by the mock gateway to inject connection-level faults.
public enum HTTP2ConnectionDirective: Sendable, Hashable {
    /// Keep serving.
    case keepOpen
    /// Send GOAWAY (last stream ID = this stream), finish the open streams, then close.
    case goAway
    /// Close the socket abruptly after this response is queued (no GOAWAY).
    case drop
    /// Stop reading from the socket (a stall); the connection stays open until the server stops.
    case stopReading
}

/// A handler's answer to one request.
public struct HTTP2ServerResponse: Sendable {
    /// `:status`.
    public var status: Int
    /// Response headers (no pseudo-headers).
    public var headers: [HTTP2HeaderField]
    /// Response body, sent as one DATA frame when it fits the peer's window and frame size.
    public var body: [UInt8]
    /// Delay before the response is sent; the loop keeps serving other streams meanwhile.
    public var delay: Duration?
    /// What happens to the connection afterwards.
    public var directive: HTTP2ConnectionDirective
    /// With `.goAway`: the HTTP/2 error code and debug data of the GOAWAY frame
    /// (APNs puts a JSON `{"reason":…}` there).
    public var goAwayErrorCode: UInt32
    /// With `.goAway`: opaque debug data sent in the GOAWAY frame.
    public var goAwayDebugData: [UInt8]
    /// When set, the connection announces this `SETTINGS_MAX_CONCURRENT_STREAMS` after the
    /// response (APNs allows one stream until a provider token has been accepted, then more).
    public var newMaxConcurrentStreams: UInt32?

    /// Creates a response.
    public init(
        status: Int, headers: [HTTP2HeaderField] = [], body: [UInt8] = [],
        delay: Duration? = nil, directive: HTTP2ConnectionDirective = .keepOpen,
        goAwayErrorCode: UInt32 = 0, goAwayDebugData: [UInt8] = [],
        newMaxConcurrentStreams: UInt32? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.directive = directive
        self.goAwayErrorCode = goAwayErrorCode
        self.goAwayDebugData = goAwayDebugData
        self.newMaxConcurrentStreams = newMaxConcurrentStreams
    }
}

/// Answers requests for an `HTTP2Server`.
///
/// `handle` runs on the event-loop thread that owns the connection, so it must not block;
/// use `HTTP2ServerResponse.delay` to answer later. A thrown error answers 500 on that
/// stream only. Different connections call the handler concurrently from different threads.
public protocol HTTP2ServerHandler: Sendable {
    /// Answers one complete request.
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse
    /// Called on the loop thread when a connection is accepted (before the TLS handshake).
    func connectionOpened(_ connectionID: UInt64)
    /// Called on the loop thread when a connection is gone, whatever the reason.
    func connectionClosed(_ connectionID: UInt64)
}

extension HTTP2ServerHandler {
    /// Default: nothing to do.
    public func connectionOpened(_ connectionID: UInt64) {}
    /// Default: nothing to do.
    public func connectionClosed(_ connectionID: UInt64) {}
}
