import Benchmark
import HTTP2Transport
import Synchronization
import Dispatch

// Allocations and time per request through the whole transport (client → h2c loopback →
// server → client), in one process. End-to-end throughput against h2load / nghttpd is
// measured by scripts/bench-transport.sh and recorded in PERFORMANCE.md.

/// Answers 200 with an apns-id, the same response every time.
struct Fixed: HTTP2ServerHandler {
    static let response = HTTP2ServerResponse(status: 200, headers: [HTTP2HeaderField("apns-id", "5E1B9D5A-1C1B-4A6D-9E0B-6A1F7C0F5D11")])
    func handle(_ request: HTTP2ServerRequest) throws -> HTTP2ServerResponse { Fixed.response }
}

final class Waiter: Sendable {
    let done = DispatchSemaphore(value: 0)
    let remaining = Atomic<Int>(0)
    func arm(_ n: Int) { remaining.store(n, ordering: .relaxed) }
    func completed(_ n: Int) {
        if remaining.wrappingSubtract(n, ordering: .relaxed).newValue <= 0 { done.signal() }
    }
}

let benchmarks: @Sendable () -> Void = {
    let batch = 1000
    let server = try! HTTP2Server(configuration: .init(threads: 1), handler: Fixed())
    let loop = EventLoop()
    let waiter = Waiter()
    let connection = try! HTTP2ClientConnection(
        configuration: .init(host: "127.0.0.1", port: server.port, tls: nil, responseHeaderNames: []),
        loop: loop, onCompletions: { waiter.completed($0.count) })
    let block = HTTP2HeaderBlock([
        HTTP2HeaderField("apns-topic", "com.example.app"), HTTP2HeaderField("apns-push-type", "alert"),
        HTTP2HeaderField("apns-priority", "10"), HTTP2HeaderField("apns-expiration", "0"),
    ])
    let body = Array("{\"aps\":{\"alert\":{\"title\":\"Hello\",\"body\":\"World\"},\"sound\":\"default\"}}".utf8)
    let requests = (0..<batch).map {
        HTTP2Request(path: "/3/device/\(String(repeating: "ab", count: 32))", headerBlock: block, body: body, tag: UInt64($0))
    }
    // Warm up: connection set-up and SETTINGS exchange happen outside the measurement.
    waiter.arm(batch)
    connection.submit(requests)
    waiter.done.wait()

    // One iteration: 1,000 APNs-like POSTs submitted in one batch and all completed.
    // mallocCountTotal / 1,000 is the allocation cost per request, both sides together.
    Benchmark("Transport.h2c round trip x1000",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .cpuTotal],
                                   scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)) { benchmark in
        for _ in benchmark.scaledIterations.indices.prefix(1) {
            waiter.arm(batch)
            connection.submit(requests)
            waiter.done.wait()
        }
    }
    // The loop threads live for the whole benchmark process.
    _ = (server, loop)
}
