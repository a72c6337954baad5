import ArgumentParser
import Foundation
import PushBench

/// `pushengine bench-delivery`: one campaign to N generated installations through the engine,
/// against a running gateway (`pushengine gateway --mode accept-all`). Used by
/// scripts/bench-delivery.sh next to h2load with the same connections and streams.
struct DeliveryBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-delivery",
        abstract: "Fan out one campaign to N generated installations against a running gateway.")

    @Option(help: "Installations (all iOS, all opted in).")
    var installations: Int = 1_000_000

    @Option(help: "Gateway port on 127.0.0.1.")
    var port: Int

    @Option(help: "CA file (TLS); omit for h2c.")
    var caFile: String?

    @Option(help: "Connections.")
    var connections: Int = 4

    @Option(help: "Streams per connection.")
    var streams: Int = 100

    @Option(help: "Event-loop threads.")
    var loopThreads: Int = 1

    func validate() throws {
        guard installations > 0, connections > 0, streams > 0, loopThreads > 0 else {
            throw ValidationError("--installations, --connections, --streams and --loop-threads must be positive")
        }
    }

    func run() throws {
        let directory = NSTemporaryDirectory() + "pushengine-bench-delivery-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rssBefore = ProcessMemory.residentBytes()
        let result = try DeliveryBenchmark.run(DeliveryBenchmark.Options(
            installations: installations, port: port, caFile: caFile, connections: connections, streams: streams,
            loopThreads: loopThreads, eventDirectory: directory), residentBytes: { ProcessMemory.residentBytes() },
            cpuSeconds: { ProcessMemory.cpuSeconds() })
        let p = result.progress
        print("delivery: \(p.targeted) targeted, \(p.sent) sent, \(p.failed) failed, \(p.tokensDeleted) deleted in \(result.seconds) s")
        print("rate: \(Int(result.perSecond)) per second (index build \(result.buildSeconds) s)")
        print("cpu: \(result.campaignCPUSeconds / Double(max(p.targeted, 1)) * 1e6) us per notification")
        print("rss at start: \(rssBefore) bytes, after index build: \(result.residentBytesBeforeCampaign) bytes, peak RSS: \(ProcessMemory.peakResidentBytes()) bytes")
    }
}
