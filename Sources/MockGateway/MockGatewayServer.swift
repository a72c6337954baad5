public import HTTP2Transport
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A `MockGateway` served over HTTP/2 on its own event loops: what `pushengine gateway`,
/// loopback tests and benchmarks run in-process.
public final class MockGatewayServer: Sendable {
    /// The request handler (statistics, configuration).
    public let gateway: MockGateway
    /// The transport server.
    public let server: HTTP2Server

    /// Starts serving.
    ///
    /// - Parameters:
    ///   - host: address to bind.
    ///   - port: port to bind; 0 picks a free one (read `port`).
    ///   - tls: certificate and key; nil serves h2c (prior knowledge).
    ///   - threads: event-loop threads.
    ///   - maxConcurrentStreams: overrides the gateway's (configuration or scenario) value;
    ///     when both are nil the transport's default is announced. A validating gateway with
    ///     authentication announces 1 first and raises to this after the first valid token
    ///     (``MockGatewayConfiguration/holdsNewConnectionsToOneStream``).
    /// - Throws: `HTTP2TransportError` when the address cannot be bound or TLS files are unusable.
    public init(
        configuration: MockGatewayConfiguration, host: String = "127.0.0.1", port: Int = 0,
        tls: TLSServerConfiguration?, threads: Int = EventLoopGroup.coreCount,
        maxConcurrentStreams: Int? = nil, logger: Logger = Logger(label: "pushengine.gateway")
    ) throws(HTTP2TransportError) {
        // The transport writes to sockets with write(2), so a peer that has gone raises SIGPIPE,
        // which would kill the process (tests, bench) instead of closing one connection.
        signal(SIGPIPE, SIG_IGN)
        var configuration = configuration
        if let maxConcurrentStreams { configuration.maxConcurrentStreams = maxConcurrentStreams }
        gateway = MockGateway(configuration: configuration, logger: logger)
        var serverConfiguration = HTTP2ServerConfiguration(host: host, port: port, tls: tls, threads: max(1, threads))
        if let streams = gateway.initialMaxConcurrentStreams {
            serverConfiguration.maxConcurrentStreams = UInt32(clamping: streams)
        }
        server = try HTTP2Server(configuration: serverConfiguration, handler: gateway, logger: logger)
    }

    /// The bound port.
    public var port: Int { server.port }

    /// Stops accepting, drains open streams for up to `gracePeriod`, closes, and flushes the recorder.
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        server.shutdown(gracePeriod: gracePeriod)
        gateway.configuration.recorder?.close()
    }
}
