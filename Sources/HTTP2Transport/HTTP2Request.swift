#if canImport(Glibc)
import Glibc
#endif

/// A request for `HTTP2ClientConnection` / `HTTP2ConnectionPool`.
///
/// `tag` is the caller's handle: the completion carries it back, so responses can be matched
/// to requests without any per-request closure.
public struct HTTP2Request: Sendable {
    /// `:method`.
    public var method: String
    /// `:path`.
    public var path: String
    /// Constant headers shared by many requests, sent after the pseudo-headers (no copy).
    public var headerBlock: HTTP2HeaderBlock?
    /// Per-request headers (lower-case names), sent after the block.
    public var headers: [HTTP2HeaderField]
    /// The body; shared, not copied, when many requests carry the same payload.
    public var body: [UInt8]
    /// The time the request may take from submission to complete response;
    /// `nil` uses the connection's default.
    public var timeout: Duration?
    /// The caller's handle, returned in the completion.
    public var tag: UInt64

    /// Creates a request.
    public init(
        method: String = "POST", path: String, headerBlock: HTTP2HeaderBlock? = nil,
        headers: [HTTP2HeaderField] = [], body: [UInt8] = [], timeout: Duration? = nil, tag: UInt64 = 0
    ) {
        self.method = method
        self.path = path
        self.headerBlock = headerBlock
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.tag = tag
    }
}

/// A complete response.
public struct HTTP2Response: Sendable {
    /// `:status`.
    public var status: Int
    /// Response headers kept by the connection's `responseHeaderNames` filter.
    public var headers: [HTTP2HeaderField]
    /// The response body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTP2HeaderField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header.
    public func value(of name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// The single completion every submitted request gets: a response, or a typed failure.
public struct HTTP2Completion: Sendable {
    /// The request's tag.
    public var tag: UInt64
    /// The outcome.
    public var result: Result<HTTP2Response, HTTP2TransportError>

    /// Creates a completion.
    public init(tag: UInt64, result: Result<HTTP2Response, HTTP2TransportError>) {
        self.tag = tag
        self.result = result
    }
}

/// Receives completions in batches, on the event-loop thread that owns the connection.
/// Must not block; it may submit new requests (to any connection or pool).
public typealias HTTP2CompletionHandler = @Sendable (_ batch: [HTTP2Completion]) -> Void


/// A FIFO queue over an array with a moving head; amortised O(1), reuses storage.
struct FIFO<Element> {
    // Optional slots: `popFirst` moves an element out (`take`) instead of copying it and
    // releasing the copy left behind later.
    private var items: [Element?] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ e: Element) { items.append(e) }

    mutating func append<S: Sequence>(contentsOf s: S) where S.Element == Element {
        // Reserve only when growing, and geometrically: an exact reservation per batch would
        // reallocate (and copy the whole backlog) on every append while a connection is slow.
        let needed = items.count + s.underestimatedCount
        if needed > items.capacity { items.reserveCapacity(Swift.max(needed, 2 * items.capacity)) }
        for e in s { items.append(e) }
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let e = items[head].take()
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }

    mutating func removeAll() -> [Element] {
        let rest = items[head...].compactMap { $0 }
        items.removeAll(keepingCapacity: true)
        head = 0
        return rest
    }
}
