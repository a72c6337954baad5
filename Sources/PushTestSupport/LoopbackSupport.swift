public import HTTP2Transport
import PushSync
#if canImport(Glibc)
import Glibc
#endif

/// A handler that echoes the request back: status 200, `x-path`, the body reversed.
public struct EchoHandler: HTTP2ServerHandler {
    public init() {}

    public func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
        if request.path == "/throw" { throw TestFailure.boom }
        if request.path == "/goaway" { return .init(status: 200, directive: .goAway) }
        return HTTP2ServerResponse(
            status: request.path == "/missing" ? 404 : 200,
            headers: [HTTP2HeaderField("x-path", request.path), HTTP2HeaderField("x-method", request.method),
                      HTTP2HeaderField("x-header-count", String(request.headers.count))],
            body: Array(request.body.reversed()))
    }
}

/// The error `EchoHandler` throws for `/throw`.
public enum TestFailure: Error { case boom }

/// Collects completions from loop threads; lets a test wait (bounded) for a count.
public final class CompletionCollector: Sendable {
    private let items = Locked<[HTTP2Completion]>([])
    private let closes = Locked<[HTTP2TransportError?]>([])

    public init() {}

    public var handler: HTTP2CompletionHandler { { batch in self.items.withLock { $0.append(contentsOf: batch) } } }
    public var onClose: @Sendable (HTTP2ClientConnection, HTTP2TransportError?) -> Void {
        { _, e in self.closes.withLock { $0.append(e) } }
    }

    public var completions: [HTTP2Completion] { items.withLock { $0 } }
    public var closeErrors: [HTTP2TransportError?] { closes.withLock { $0 } }

    /// Waits until `count` completions arrived or `limit` passed (a safety bound, not a
    /// timing assertion: the caller checks the count afterwards).
    @discardableResult
    public func wait(for count: Int, limit: Duration = .seconds(30)) -> [HTTP2Completion] {
        let end = monotonicNanoseconds() + limit.wholeNanoseconds
        while items.withLock({ $0.count }) < count && monotonicNanoseconds() < end { usleep(1000) }
        return completions
    }

    public func waitForClose(limit: Duration = .seconds(30)) {
        let end = monotonicNanoseconds() + limit.wholeNanoseconds
        while closes.withLock({ $0.isEmpty }) && monotonicNanoseconds() < end { usleep(1000) }
    }
}
