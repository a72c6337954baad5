import ArgumentParser
import PushBench

/// `pushengine bench`: end-to-end measurements. By default, one campaign fanned out to N
/// generated installations through the engine to a gateway (see `FanOutBench`);
/// `--index-only` builds the installation index from the deterministic generator and
/// measures it next to a naive reference.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure PushEngine against a reference in the same run.")

    @Option(help: "Installations to generate.")
    var installations: Int = 1_000_000

    @Option(help: "Generator seed (same seed, same installations).")
    var seed: UInt64 = 42

    @Option(help: "Fraction of iOS installations (APNs); the rest are Android (FCM HTTP v1).")
    var iosShare: Double = 0.6

    @Option(name: .customLong("optin-share"), help: "Fraction of installations opted in to push (the campaign's audience).")
    var optInShare: Double = 0.8

    @Flag(help: "Measure the installation index only (build, memory, token lookups, scans).")
    var indexOnly = false

    @Option(help: "Where to send: 'embedded' (a mock gateway in this process, accept-all) or HOST:PORT.")
    var gateway = "embedded"

    @Flag(help: "h2c with prior knowledge (no TLS).")
    var plaintext = false

    @Option(help: "CA file to trust for TLS.")
    var caFile: String?

    @Option(help: "Embedded gateway: certificate chain (PEM) to serve TLS with (default: a generated self-signed one).")
    var tlsCert: String?

    @Option(help: "Embedded gateway: private key (PEM).")
    var tlsKey: String?

    @Option(help: "APNs signing key (.p8) for provider tokens; default: a key generated for the run.")
    var apnsKeyFile: String?

    @Option(help: "APNs key ID (with --apns-key-file).")
    var apnsKeyId: String?

    @Option(help: "APNs team ID (with --apns-key-file).")
    var apnsTeamId: String?

    @Option(help: "apns-topic: the app's bundle ID.")
    var topic = "com.example.app"

    @Option(help: "Seconds between plain progress lines on stderr when stdout is not a terminal.")
    var progressInterval: Double = 3

    @Option(help: "Embedded gateway: a failure scenario file (validating mode, no auth checks).")
    var scenario: String?

    @Option(help: "Connections to the gateway.")
    var connections = 4

    @Option(help: "Streams per connection.")
    var streams = 100

    @Option(help: "Directory for the daily CSV event files.")
    var out = "./pushengine-out"

    @Flag(help: "Print one JSON object instead of a summary.")
    var json = false

    @Option(help: "Threads: for building, lookups and scans (--index-only); event-loop threads when sending.")
    var threads: Int = 2

    @Option(help: "Token lookups to time.")
    var lookups: Int = 4_000_000

    @Option(help: "Installations for the [String: Installation] baseline (0 skips it; default min(N, 2M)).")
    var baselineInstallations: Int?

    @Option(help: "--index-only: installations per bulk upsert call while building.")
    var buildChunk: Int = 512

    func validate() throws {
        guard connections > 0, streams > 0 else { throw ValidationError("--connections and --streams must be positive") }
        guard installations > 0 else { throw ValidationError("--installations must be positive") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard lookups >= threads else { throw ValidationError("--lookups must be at least --threads") }
        if let b = baselineInstallations, b < 0 { throw ValidationError("--baseline-installations must not be negative") }
        guard buildChunk > 0 else { throw ValidationError("--build-chunk must be positive") }
        guard (0...1).contains(iosShare) else { throw ValidationError("--ios-share must be between 0 and 1, got \(iosShare)") }
        guard (0...1).contains(optInShare) else { throw ValidationError("--optin-share must be between 0 and 1, got \(optInShare)") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be positive") }
        let keyParts = [apnsKeyFile, apnsKeyId, apnsTeamId].filter { $0 != nil }.count
        guard keyParts == 0 || keyParts == 3 else {
            throw ValidationError("--apns-key-file, --apns-key-id and --apns-team-id go together")
        }
    }

    func run() throws {
        guard indexOnly else {
            let summary: FanOutSummary
            do {
                summary = try FanOutBench(
                    installations: installations, seed: seed, iosShare: iosShare, optInShare: optInShare,
                    gateway: gateway, plaintext: plaintext, caFile: caFile, tlsCert: tlsCert, tlsKey: tlsKey,
                    apnsKeyFile: apnsKeyFile, apnsKeyID: apnsKeyId, apnsTeamID: apnsTeamId, topic: topic,
                    scenario: scenario, connections: connections, streams: streams, threads: threads, out: out,
                    json: json, progressInterval: progressInterval).run()
            } catch let error as FanOutBench.SetupError {
                throw ValidationError(error.message)
            }
            print(json ? summary.json : summary.text)
            return
        }
        let options = IndexBenchmark.Options(
            installations: installations, seed: seed, threads: threads, lookups: lookups,
            baselineInstallations: baselineInstallations, buildChunk: buildChunk)
        var result = try IndexBenchmark.run(options, residentBytes: { ProcessMemory.residentBytes() },
                                             cpuSeconds: { ProcessMemory.cpuSeconds() })
        result.peakRSSBytes = ProcessMemory.peakResidentBytes()
        if json {
            print(result.json)
            return
        }
        let i = result.index
        print("index: \(i.installations) installations, built in \(i.buildSeconds) s (\(Int(i.buildPerSecond))/s)")
        print("  \(Int(i.bytesPerInstallation)) bytes/installation, \(Int(i.lookupsPerSecond)) token lookups/s")
        print("  scan tier=gold AND age>30: \(i.scanSeconds) s, \(i.scanMatches) matches")
        if let b = result.baseline {
            print("baseline: \(b.installations) installations, \(Int(b.buildPerSecond))/s, \(Int(b.bytesPerInstallation)) bytes/installation")
            print("  \(Int(b.lookupsPerSecond)) token lookups/s, scan \(b.scanSeconds) s (\(b.scanMatches) matches)")
        }
        print("peak RSS: \(result.peakRSSBytes) bytes")
    }
}
