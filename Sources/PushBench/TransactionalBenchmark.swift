import Delivery
import EventLog
import Gateways
import Logging
import PushEngine
import PushIndex
import PushModel
#if canImport(Glibc)
import Glibc
#endif

/// Many small transactional sends at once through the engine, against a running gateway: how
/// many threads and how much memory they take while they are in flight. Behind
/// `pushengine bench-transactional` (scripts/bench-transactional.sh runs it at two sizes, so the
/// memory per send in flight is read as a slope, not an absolute).
public enum TransactionalBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Sends started at once, one recipient each.
        public var sends: Int
        /// Installations they go to (round-robin).
        public var installations: Int
        /// Gateway on 127.0.0.1.
        public var port: Int
        /// CA file for TLS; nil sends h2c.
        public var caFile: String?
        /// Connections and streams per connection.
        public var connections: Int
        public var streams: Int

        /// Creates options.
        public init(sends: Int, installations: Int = 1_000, port: Int, caFile: String?, connections: Int = 2, streams: Int = 100) {
            self.sends = sends
            self.installations = installations
            self.port = port
            self.caFile = caFile
            self.connections = connections
            self.streams = streams
        }
    }

    /// What a run measured.
    public struct Result: Sendable {
        /// Sends that ended with their one notification sent.
        public var sent: Int
        /// Seconds from the first send started to the last one finished.
        public var seconds: Double
        /// Threads of the process before the sends, and the most seen while they ran.
        public var threadsBefore: Int
        public var threadsPeak: Int
        /// Worker threads the engine used at most (the bounded lanes).
        public var workerThreadsPeak: Int
        /// Resident memory once every send was started (all in flight or queued), minus before.
        public var residentGrowthBytes: Int
    }

    /// Threads of this process (`/proc/self/status`).
    public static func processThreads() -> Int {
        let status = ProcessMemory.read("/proc/self/status")
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return 0 }
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    /// Runs the sends and waits for all of them.
    public static func run(_ options: Options) async throws -> Result {
        let workers = SendWorkers()
        let engine = PushEngine(threads: 1, workers: workers, logger: Logger(label: "bench"))
        let credentials = APNsTokenCredentials(key: try DeliveryBenchmark.generatedKey(), keyID: "BENCHKEY01", teamID: "BENCHTEAM1")
        let origin = GatewayOrigin.custom(host: "127.0.0.1", port: options.port, tls: options.caFile != nil, caFile: options.caFile)
        let app = try engine.addApp(
            AppConfiguration(name: "Bench", apiKey: "BENCHKEY",
                             apns: APNsConfiguration(origin: origin, authentication: .token(credentials), topic: "com.example.app",
                                                     connections: options.connections, maxConcurrentStreams: options.streams)),
            events: DiscardingEventSink())
        let generator = InstallationGenerator(seed: 7, profile: .init(androidShare: 0, optInShare: 1))
        var installations: [Installation] = []
        for i in 0..<options.installations { installations.append(generator.installation(i)) }
        try await app.register(contentsOf: installations)
        let ids = installations.map(\.id)
        let notification = PushNotification(message: PushMessage(title: "Hi", body: "transactional"))

        let threadsBefore = processThreads()
        let rssBefore = ProcessMemory.residentBytes()
        var peak = threadsBefore
        let start = DeliveryBenchmark.now()
        var runs: [SendRun] = []
        runs.reserveCapacity(options.sends)
        for i in 0..<options.sends {
            runs.append(try app.sendTransactional(groupID: try GroupID("bench"), recipients: Recipients(installationIDs: [ids[i % ids.count]]),
                                                  notification: notification))
            if i % 1_000 == 0 { peak = max(peak, processThreads()) }
        }
        let growth = ProcessMemory.residentBytes() - rssBefore
        var sent = 0
        for run in runs {
            peak = max(peak, processThreads())
            sent += try await run.finished().sent
        }
        let seconds = DeliveryBenchmark.now() - start
        let workerPeak = workers.peakThreads
        await engine.shutdown(timeout: .seconds(10))
        return Result(sent: sent, seconds: seconds, threadsBefore: threadsBefore, threadsPeak: peak,
                      workerThreadsPeak: workerPeak, residentGrowthBytes: growth)
    }
}

/// Drops events (the benchmark counts sends through their runs).
struct DiscardingEventSink: DeliveryEventSink {
    func record(_ events: [DeliveryEvent]) {}
}
