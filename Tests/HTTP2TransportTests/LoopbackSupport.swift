import Synchronization
import Dispatch
@testable import HTTP2Transport
import PushSync
import PushTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Counts the most streams a server ever had open at once, and answers like `EchoHandler`.
final class ConcurrencyProbe: HTTP2ServerHandler {
    private let state = Locked<(open: Int, peak: Int, received: Int)>((0, 0, 0))
    let delay: Duration?
    init(delay: Duration? = nil) { self.delay = delay }
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse {
        // A request is "open" from arrival to response; delayed responses keep it open.
        state.withLock { s in
            s.open += 1
            s.peak = max(s.peak, s.open)
            s.received += 1
        }
        defer { state.withLock { $0.open -= 1 } }
        return HTTP2ServerResponse(status: 200, headers: [HTTP2HeaderField("x-path", request.path)], delay: delay)
    }
    var peak: Int { state.withLock { $0.peak } }
    /// Requests that reached the handler.
    var received: Int { state.withLock { $0.received } }
}

func serverTLS() throws -> TLSServerConfiguration {
    let d = try TestCertificates.directory()
    return TLSServerConfiguration(certificateFile: d + "/server.pem", privateKeyFile: d + "/server.key")
}

func clientTLS(ca: String = "ca.pem") throws -> TLSClientConfiguration {
    TLSClientConfiguration(caFile: try TestCertificates.directory() + "/" + ca)
}

/// Picks a free loopback port by binding port 0 and releasing it.
func freePort() throws -> Int {
    let (fd, port) = try Socket.listen(host: "127.0.0.1", port: 0)
    close(fd)
    return port
}
