public import Delivery
import EventLog
import Dispatch
import Gateways
import HTTP2Transport
import Logging
import PushIndex
import PushModel
#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end fan-out measurement behind `pushengine bench-delivery`: a generated index of
/// N installations, one campaign to all of them through the engine (index scan → dispatcher →
/// APNs requests over TLS → outcomes → event log) against a running gateway.
public enum DeliveryBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Installations in the index (all iOS, all opted in).
        public var installations: Int
        /// Gateway address.
        public var host: String
        /// Gateway port.
        public var port: Int
        /// CA file for TLS; nil sends h2c.
        public var caFile: String?
        /// Connections.
        public var connections: Int
        /// Streams per connection.
        public var streams: Int
        /// Event-loop threads.
        public var loopThreads: Int
        /// Directory for the event log (spool and published files).
        public var eventDirectory: String
        /// Generator seed.
        public var seed: UInt64

        /// Creates options.
        public init(installations: Int, host: String = "127.0.0.1", port: Int, caFile: String?, connections: Int, streams: Int,
                    loopThreads: Int = 1, eventDirectory: String, seed: UInt64 = 1) {
            self.installations = installations
            self.host = host
            self.port = port
            self.caFile = caFile
            self.connections = connections
            self.streams = streams
            self.loopThreads = loopThreads
            self.eventDirectory = eventDirectory
            self.seed = seed
        }
    }

    /// What one run measured.
    public struct Result: Sendable {
        /// The campaign's final progress.
        public var progress: DeliveryProgress
        /// Seconds from launch until every installation had its final event.
        public var seconds: Double
        /// Final events per second.
        public var perSecond: Double { Double(progress.targeted) / seconds }
        /// Seconds spent building the index (not part of `seconds`).
        public var buildSeconds: Double
        /// Resident bytes once the index was built, just before the campaign.
        public var residentBytesBeforeCampaign: Int
        /// Process CPU seconds (all threads) spent during the campaign.
        public var campaignCPUSeconds: Double
    }

    /// Builds the index, runs the campaign, flushes the event log.
    /// - Throws: ``PushEngineError`` when the engine cannot be set up; `EventLogError` for the log.
    /// - Parameter residentBytes: reads the process's resident memory (platform-specific).
    /// - Parameter cpuSeconds: reads the process's CPU time (all threads).
    public static func run(_ options: Options, residentBytes: () -> Int = { 0 }, cpuSeconds: () -> Double = { 0 }) throws -> Result {
        let writer = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: options.eventDirectory + "/spool"),
                                        sink: LocalDirectorySink(directory: options.eventDirectory + "/out"))
        let engine = PushEngine(threads: options.loopThreads, logger: Logger(label: "bench"))
        defer {
            engine.shutdown(timeout: .seconds(10))
            try? writer.shutdown()
        }
        let credentials = APNsTokenCredentials(key: try generatedKey(), keyID: "BENCHKEY01", teamID: "BENCHTEAM1")
        let app = try engine.addApp(
            AppConfiguration(name: "Bench", apiKey: "BENCHKEY", apns: APNsConfiguration(
                origin: .custom(host: options.host, port: options.port, tls: options.caFile != nil, caFile: options.caFile),
                authentication: .token(credentials), topic: "com.example.app",
                connections: options.connections, maxConcurrentStreams: options.streams),
                expectedInstallations: options.installations),
            events: EventLogDeliverySink(writer: writer, app: try ExportApp(name: "Bench", apiKey: "BENCHKEY")))
        let generator = InstallationGenerator(seed: options.seed, profile: .init(optInShare: 1.0))
        let buildStart = now()
        let n = options.installations
        let threads = 2
        let index = app.index
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in stride(from: t, to: n, by: threads) { _ = try? index.upsert(generator.installation(i)) }
        }
        let buildSeconds = now() - buildStart
        let residentBeforeCampaign = residentBytes()

        let cpuStart = cpuSeconds()
        let start = now()
        let run = try app.launchCampaign(notification: PushNotification(message: PushMessage(title: "Bench", body: "hello")))
        let progress = run.waitUntilFinished(timeout: .seconds(3600))
        let seconds = now() - start
        let cpu = cpuSeconds() - cpuStart
        try writer.flush()
        return Result(progress: progress, seconds: seconds, buildSeconds: buildSeconds,
                      residentBytesBeforeCampaign: residentBeforeCampaign, campaignCPUSeconds: cpu)
    }

    static func generatedKey() throws(PushEngineError) -> P256PrivateKey {
        do { return try P256PrivateKey.generate() } catch { throw .gateway(.invalidCredentials(context: "\(error)")) }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
