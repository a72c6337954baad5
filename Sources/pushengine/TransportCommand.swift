import ArgumentParser
import HTTP2Transport
import PushJSON
#if canImport(Glibc)
import Glibc
#endif

/// `pushengine transport …`: the HTTP/2 transport on its own, for benchmarks and interop checks.
struct TransportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Run the bare HTTP/2 transport: a fixed-answer server, or a load generator (like h2load).",
        subcommands: [Serve.self, Load.self]
    )

    /// A server answering every request 200 with an `apns-id`, from one precomputed response.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve HTTP/2 (TLS or h2c), answering every request 200 with an apns-id header.")

        @Option(help: "Address to bind.") var host = "127.0.0.1"
        @Option(help: "Port (0 picks a free one).") var port = 0
        @Option(help: "Certificate chain (PEM) for TLS.") var tlsCert: String?
        @Option(help: "Private key (PEM) for TLS.") var tlsKey: String?
        @Option(help: "SETTINGS_MAX_CONCURRENT_STREAMS.") var maxStreams: UInt32 = 1000
        @Option(help: "Event-loop threads (default: one per core).") var threads = EventLoopGroup.coreCount

        func validate() throws {
            if (tlsCert == nil) != (tlsKey == nil) {
                throw ValidationError("--tls-cert and --tls-key go together")
            }
        }

        func run() throws {
            let tls = tlsCert.map { TLSServerConfiguration(certificateFile: $0, privateKeyFile: tlsKey!) }
            let server = try HTTP2Server(
                configuration: .init(host: host, port: port, tls: tls, maxConcurrentStreams: maxStreams, threads: threads),
                handler: FixedAnswer())
            printLine("listening on \(host):\(server.port)")
            waitForTerminationSignal()
            server.shutdown()
            let s = server.statistics
            var w = JSONWriter()
            w.beginObject()
            w.int("connections", Int64(s.connectionsAccepted))
            w.int("requests", Int64(s.requestsServed))
            w.int("protocol_errors", Int64(s.protocolErrors))
            w.endObject()
            print(String(decoding: w.bytes, as: UTF8.self))
        }
    }

    /// Closed-loop load with APNs-like requests.
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send N APNs-like POSTs over C connections with M streams each, like h2load -n N -c C -m M.")

        @Option(help: "Server host.") var host = "127.0.0.1"
        @Option(help: "Server port.") var port: Int
        @Flag(help: "Use TLS (else h2c with prior knowledge).") var tls = false
        @Option(help: "CA file to trust for TLS (default: the system store).") var caFile: String?
        @Flag(help: "Skip certificate verification (benchmarks only).") var insecure = false
        @Option(name: [.customShort("n"), .long], help: "Total requests.") var requests = 1_000_000
        @Option(name: [.customShort("c"), .long], help: "Connections.") var connections = 2
        @Option(name: [.customShort("m"), .long], help: "Streams in flight per connection.") var streams = 100
        @Option(name: [.customShort("t"), .long], help: "Event-loop threads.") var threads = 1
        @Option(help: "Request body size in bytes (a JSON payload).") var bodySize = 200
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let generator = HTTP2LoadGenerator(
                connection: .init(host: host, port: port,
                                  tls: tls ? TLSClientConfiguration(caFile: caFile, verifyPeer: !insecure) : nil),
                connections: connections, streamsPerConnection: streams, requests: requests,
                template: TransportCommand.apnsLikeRequest(bodySize: bodySize), threads: threads)
            let r = try generator.run()
            if json {
                var w = JSONWriter()
                w.beginObject()
                w.int("requests", Int64(requests))
                w.int("succeeded", Int64(r.succeeded))
                w.int("failed", Int64(r.failed))
                w.double("seconds", r.seconds)
                w.int("rate", Int64(r.requestsPerSecond))
                w.beginObject("statuses")
                for (status, count) in r.statuses.sorted(by: { $0.key < $1.key }) { w.int(String(status), Int64(count)) }
                w.endObject()
                w.endObject()
                print(String(decoding: w.bytes, as: UTF8.self))
            } else {
                print("finished in \(String(format2(r.seconds)))s, \(Int(r.requestsPerSecond)) req/s")
                print("requests: \(requests) total, \(r.succeeded) succeeded, \(r.failed) failed")
                print("status codes: " + r.statuses.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
            if let e = r.firstError, r.failed > 0 { printError("first error: \(e)") }
            if r.failed > 0 { throw ExitCode(1) }
        }
    }

    /// A POST like an APNs notification: token path, APNs headers, a JSON body of `bodySize` bytes.
    static func apnsLikeRequest(bodySize: Int) -> HTTP2Request {
        let token = String(repeating: "ab", count: 32)
        func payload(alertBody: String) -> [UInt8] {
            var w = JSONWriter()
            w.beginObject()
            w.beginObject("aps")
            w.beginObject("alert")
            w.string("title", "Hello")
            w.string("body", alertBody)
            w.endObject()
            w.string("sound", "default")
            w.endObject()
            w.endObject()
            return w.bytes
        }
        let envelope = payload(alertBody: "").count
        let body = payload(alertBody: String(repeating: "x", count: max(0, bodySize - envelope)))
        return HTTP2Request(
            path: "/3/device/\(token)",
            headerBlock: HTTP2HeaderBlock([
                HTTP2HeaderField("apns-topic", "com.example.app"),
                HTTP2HeaderField("apns-push-type", "alert"),
                HTTP2HeaderField("apns-priority", "10"),
                HTTP2HeaderField("apns-expiration", "0"),
            ]),
            body: body)
    }
}

/// Answers 200 with an apns-id, the same response object every time.
struct FixedAnswer: HTTP2ServerHandler {
    static let response = HTTP2ServerResponse(
        status: 200, headers: [HTTP2HeaderField("apns-id", "5E1B9D5A-1C1B-4A6D-9E0B-6A1F7C0F5D11")])
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse { FixedAnswer.response }
}

func format2(_ x: Double) -> String {
    let v = (x * 100).rounded() / 100
    return "\(v)"
}
