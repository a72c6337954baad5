public import Delivery
import EventLog
import Dispatch
public import Gateways
import HTTP2Transport
import PushCrypto
import Logging
public import PushIndex
public import PushModel
import PushSync
@_spi(Benchmark) import PushEngine
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end fan-out measurement behind `pushengine bench` and `pushengine bench-delivery`:
/// a generated index of N installations (a deterministic iOS / Android and opt-in mix), one
/// campaign to every opted-in installation through the engine (index scan → dispatcher → APNs
/// and FCM HTTP v1 requests → outcomes → event log) against a running gateway that serves both
/// APNs and FCM (with its `/token` OAuth endpoint), such as the mock gateway.
public enum DeliveryBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Installations in the index.
        public var installations: Int
        /// Gateway address (APNs, FCM and the FCM `/token` endpoint are all served there).
        public var host: String
        /// Gateway port.
        public var port: Int
        /// CA file for TLS; nil sends h2c.
        public var caFile: String?
        /// Connections per platform.
        public var connections: Int
        /// Streams per connection.
        public var streams: Int
        /// Event-loop threads.
        public var loopThreads: Int
        /// Directory for the event log (spool and published files).
        public var eventDirectory: String
        /// Generator seed.
        public var seed: UInt64
        /// Fraction of iOS installations (the rest are Android, with FCM-shaped tokens).
        public var iosShare: Double
        /// Fraction of installations opted in to push (the campaign's audience).
        public var optInShare: Double
        /// APNs credentials; nil: an ES256 key generated for the run.
        public var apnsCredentials: APNsTokenCredentials?
        /// `apns-topic`.
        public var topic: String

        /// Creates options. The defaults are the historical all-iOS, all-opted-in population.
        public init(installations: Int, host: String = "127.0.0.1", port: Int, caFile: String?, connections: Int, streams: Int,
                    loopThreads: Int = 1, eventDirectory: String, seed: UInt64 = 1, iosShare: Double = 1, optInShare: Double = 1,
                    apnsCredentials: APNsTokenCredentials? = nil, topic: String = "com.example.app") {
            self.installations = installations
            self.host = host
            self.port = port
            self.caFile = caFile
            self.connections = connections
            self.streams = streams
            self.loopThreads = loopThreads
            self.eventDirectory = eventDirectory
            self.seed = seed
            self.iosShare = iosShare
            self.optInShare = optInShare
            self.apnsCredentials = apnsCredentials
            self.topic = topic
        }

        /// The generator these options describe.
        public var generator: InstallationGenerator {
            InstallationGenerator(seed: seed, profile: .init(androidShare: 1 - iosShare, optInShare: optInShare))
        }
    }

    /// Where a run stands, for progress displays.
    public struct Progress: Sendable {
        /// The phase: building the index, or sending.
        public enum Phase: Sendable, Hashable {
            /// Generating installations and loading them into the index.
            case building
            /// The campaign is running.
            case sending
            /// Every targeted installation has its final event.
            case finished
        }

        /// The phase.
        public var phase: Phase
        /// Installations loaded (building) or final events (sending).
        public var done: Int
        /// Installations to load (building) or opted-in installations to notify (sending).
        public var total: Int
        /// Seconds since the phase started.
        public var seconds: Double
        /// The campaign's counters (zero while building).
        public var delivery: DeliveryProgress
    }

    /// How many installations of each kind the generator made.
    public struct Population: Sendable, Hashable {
        /// iOS installations.
        public var iOS = 0
        /// Android installations.
        public var android = 0
        /// Opted-in iOS installations (the campaign's APNs audience).
        public var iOSOptedIn = 0
        /// Opted-in Android installations (the campaign's FCM audience).
        public var androidOptedIn = 0

        /// Creates counts.
        public init(iOS: Int = 0, android: Int = 0, iOSOptedIn: Int = 0, androidOptedIn: Int = 0) {
            self.iOS = iOS
            self.android = android
            self.iOSOptedIn = iOSOptedIn
            self.androidOptedIn = androidOptedIn
        }

        /// Opted-in installations on both platforms.
        public var optedIn: Int { iOSOptedIn + androidOptedIn }

        static func + (a: Population, b: Population) -> Population {
            Population(iOS: a.iOS + b.iOS, android: a.android + b.android, iOSOptedIn: a.iOSOptedIn + b.iOSOptedIn,
                       androidOptedIn: a.androidOptedIn + b.androidOptedIn)
        }
    }

    /// What one run measured.
    public struct Result: Sendable {
        /// The campaign's final progress (both platforms).
        public var progress: DeliveryProgress
        /// Final progress by platform.
        public var byPlatform: [Platform: DeliveryProgress]
        /// The generated population.
        public var population: Population
        /// Installations whose final event took more than one request (transient failures retried).
        public var retried: Int
        /// Request latency percentiles of the campaign (both platforms; final attempts answered by the gateway).
        public var latency: LatencySummary
        /// Request latency percentiles by platform.
        public var latencyByPlatform: [Platform: LatencySummary]
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
    /// - Parameters:
    ///   - residentBytes: reads the process's resident memory (platform-specific).
    ///   - cpuSeconds: reads the process's CPU time (all threads).
    ///   - progressInterval: how often `progress` is called while building and sending.
    ///   - progress: called on the calling thread every `progressInterval`, and once at the end of each phase.
    public static func run(_ options: Options, residentBytes: () -> Int = { 0 }, cpuSeconds: () -> Double = { 0 },
                           progressInterval: Duration = .milliseconds(250), progress: (Progress) -> Void = { _ in }) throws -> Result {
        let writer = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: options.eventDirectory + "/spool"),
                                        sink: LocalDirectorySink(directory: options.eventDirectory + "/out"))
        let engine = PushEngine(threads: options.loopThreads, logger: Logger(label: "bench"))
        defer {
            let lock = ConditionLock(), done = ConditionGuarded(false)  // done: guarded by lock
            Task {  // the driver runs on a plain thread, not in a task
                await engine.shutdown(timeout: .seconds(10))
                lock.withLock {
                    done.value = true
                    lock.broadcast()
                }
            }
            lock.withLock { while !done.value { lock.wait() } }
            try? writer.shutdown()
        }
        let origin = GatewayOrigin.custom(host: options.host, port: options.port, tls: options.caFile != nil, caFile: options.caFile)
        var apns: APNsConfiguration?
        if options.iosShare > 0 {
            let credentials = try options.apnsCredentials
                ?? APNsTokenCredentials(key: try generatedKey(), keyID: "BENCHKEY01", teamID: "BENCHTEAM1")
            apns = APNsConfiguration(origin: origin, authentication: .token(credentials), topic: options.topic,
                                     connections: options.connections, maxConcurrentStreams: options.streams)
        }
        var fcm: FCMConfiguration?
        if options.iosShare < 1 {
            let account = FCMServiceAccount(
                projectID: "pushengine-bench", clientEmail: "bench@pushengine-bench.iam.gserviceaccount.com",
                privateKey: try generatedRSAKey(),
                tokenURI: "\(options.caFile == nil ? "http" : "https")://\(options.host):\(options.port)/token")
            fcm = FCMConfiguration(origin: origin, serviceAccount: account, tokenEndpointCAFile: options.caFile,
                                   connections: options.connections, maxConcurrentStreams: options.streams)
        }
        let retries = RetryCountingSink(EventLogDeliverySink(writer: writer, app: try ExportApp(name: "Bench", apiKey: "BENCHKEY")))
        let app = try engine.addApp(
            AppConfiguration(name: "Bench", apiKey: "BENCHKEY", apns: apns, fcm: fcm, expectedInstallations: options.installations),
            events: retries)

        // Build: two threads generate and load disjoint strides; the caller's thread reports.
        let generator = options.generator
        let buildStart = now()
        let n = options.installations
        let threads = 2
        let index = app.index  // the bench times the index build itself (SPI), not the command path
        let loaded = Atomic<Int>(0)
        let counts = PopulationCounter()
        let builtLock = ConditionLock(), built = ConditionGuarded(false)  // built: guarded by builtLock
        PushThread.detach {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var mine = Population()
                var chunk: [Installation] = []
                chunk.reserveCapacity(512)
                // The index's bulk path, 512 at a time (generated installations are valid; should a
                // chunk be refused, its installations are loaded one by one so only the bad one is lost).
                func load() {
                    if (try? index.upsert(contentsOf: chunk)) == nil {
                        for installation in chunk { _ = try? index.upsert(installation) }
                    }
                    loaded.add(chunk.count, ordering: .relaxed)
                    chunk.removeAll(keepingCapacity: true)
                }
                for i in stride(from: t, to: n, by: threads) {
                    let installation = generator.installation(i)
                    if installation.platform == .android {
                        mine.android += 1
                        if installation.pushOptIn { mine.androidOptedIn += 1 }
                    } else {
                        mine.iOS += 1
                        if installation.pushOptIn { mine.iOSOptedIn += 1 }
                    }
                    chunk.append(installation)
                    if chunk.count == 512 { load() }
                }
                load()
                counts.add(mine)
            }
            builtLock.withLock {
                built.value = true
                builtLock.broadcast()
            }
        }
        func waitForBuild() -> Bool {
            builtLock.withLock {
                if !built.value { builtLock.wait(untilNanoseconds: monotonicNanoseconds() &+ progressInterval.wholeNanoseconds) }
                return built.value
            }
        }
        while !waitForBuild() {
            progress(Progress(phase: .building, done: loaded.load(ordering: .relaxed), total: n, seconds: now() - buildStart,
                              delivery: .zero))
        }
        let buildSeconds = now() - buildStart
        let population = counts.total
        progress(Progress(phase: .building, done: n, total: n, seconds: buildSeconds, delivery: .zero))
        let residentBeforeCampaign = residentBytes()

        let cpuStart = cpuSeconds()
        let start = now()
        let run = try app.launchCampaign(notification: PushNotification(message: PushMessage(title: "Bench", body: "hello")))
        let deadline = start + 3600
        var current = run.progress
        while !current.isFinished && now() < deadline {
            // Poll in 2 ms steps so the end is seen within 2 ms; report every progressInterval.
            let next = now() + Double(progressInterval.wholeNanoseconds) / 1e9
            repeat {
                usleep(2_000)
                current = run.progress
            } while !current.isFinished && now() < next
            guard !current.isFinished else { break }
            progress(Progress(phase: .sending, done: current.targeted - current.pending, total: population.optedIn,
                              seconds: now() - start, delivery: current))
        }
        let seconds = now() - start
        let cpu = cpuSeconds() - cpuStart
        progress(Progress(phase: .finished, done: current.targeted - current.pending, total: population.optedIn,
                          seconds: seconds, delivery: current))
        try writer.flush()
        return Result(progress: current, byPlatform: run.jobs.mapValues(\.progress), population: population,
                      retried: retries.retried, latency: run.latencySummary(),
                      latencyByPlatform: run.jobs.mapValues { $0.latencySummary() }, seconds: seconds, buildSeconds: buildSeconds,
                      residentBytesBeforeCampaign: residentBeforeCampaign, campaignCPUSeconds: cpu)
    }

    static func generatedKey() throws(PushEngineError) -> P256PrivateKey {
        do { return try P256PrivateKey.generate() } catch { throw .gateway(.invalidCredentials(context: "\(error)")) }
    }

    static func generatedRSAKey() throws(PushEngineError) -> RSAPrivateKey {
        do { return try RSAPrivateKey.generate() } catch { throw .gateway(.invalidCredentials(context: "service account key: \(error)")) }
    }

    /// Monotonic seconds, for elapsed times.
    static func now() -> Double { Double(monotonicNanoseconds()) / 1e9 }
}

/// Forwards final events and counts those that took more than one request.
final class RetryCountingSink: DeliveryEventSink {
    let next: any DeliveryEventSink
    private let count = Atomic<Int>(0)

    init(_ next: any DeliveryEventSink) { self.next = next }

    var retried: Int { count.load(ordering: .relaxed) }

    func record(_ events: [DeliveryEvent]) {
        var n = 0
        for e in events where e.attempts > 1 { n += 1 }
        if n > 0 { count.add(n, ordering: .relaxed) }
        next.record(events)
    }
}

/// The generated population, summed over the build threads.
final class PopulationCounter: Sendable {
    private let state = Mutex(DeliveryBenchmark.Population())

    func add(_ part: DeliveryBenchmark.Population) { state.withLock { $0 = $0 + part } }

    var total: DeliveryBenchmark.Population { state.withLock { $0 } }
}
