import Testing
@testable import HTTP2Transport
import PushTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Host names are looked up off the loop thread; address literals are parsed without a lookup.
@Suite struct NameResolutionTests {
    @Test func addressLiteralsAreParsedWithoutALookup() throws {
        #expect(Socket.numericAddresses(host: "127.0.0.1", port: 443)?.first?.family == AF_INET)
        #expect(Socket.numericAddresses(host: "::1", port: 443)?.first?.family == AF_INET6)
        #expect(Socket.numericAddresses(host: "localhost", port: 443) == nil)
    }

    @Test func aHostNameIsResolvedAndConnected() throws {
        let server = try HTTP2Server(configuration: .init(tls: nil, threads: 1), handler: EchoHandler())
        defer { server.shutdown() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let connection = try HTTP2ClientConnection(configuration: .init(host: "localhost", port: server.port, tls: nil),
                                                   loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        connection.submit(HTTP2Request(path: "/", tag: 1))
        let done = collector.wait(for: 1)
        #expect(done.count == 1)
        #expect((try? done.first?.result.get().status) == 200)
        connection.close()
    }

    @Test func anUnknownHostFailsWithResolveFailed() throws {
        let loop = EventLoop()
        defer { loop.shutdown() }
        let collector = CompletionCollector()
        let connection = try HTTP2ClientConnection(configuration: .init(host: "no-such-host.invalid", port: 443, tls: nil),
                                                   loop: loop, onCompletions: collector.handler, onClose: collector.onClose)
        connection.submit(HTTP2Request(path: "/", tag: 1))
        let done = collector.wait(for: 1)
        #expect(done.count == 1)
        collector.waitForClose()
        guard case .resolveFailed(let host, _)? = collector.closeErrors.first ?? nil else {
            Issue.record("expected resolveFailed, got \(collector.closeErrors)")
            return
        }
        #expect(host == "no-such-host.invalid")
    }
}
