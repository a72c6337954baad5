import ArgumentParser
import Foundation
import Gateways
import HTTP2Transport
import PushCrypto
import MockGateway
import PushEngine
import PushModel
#if canImport(Glibc)
import Glibc
#endif

/// The sending mode of `pushengine bench`: generate N installations (a deterministic iOS /
/// Android and opt-in mix), fan one campaign out to every opted-in installation through the
/// engine (APNs to iOS, FCM HTTP v1 to Android) against a gateway (the embedded mock gateway
/// by default), spill the events to daily CSV files, and print a summary shaped like h2load's.
struct FanOutBench {
    var installations: Int
    var seed: UInt64
    var iosShare: Double
    var optInShare: Double
    var gateway: String
    var plaintext: Bool
    var caFile: String?
    var tlsCert: String?
    var tlsKey: String?
    var apnsKeyFile: String?
    var apnsKeyID: String?
    var apnsTeamID: String?
    var topic: String
    var scenario: String?
    var connections: Int
    var streams: Int
    var threads: Int
    var out: String
    var json: Bool
    var progressInterval: Double

    func run() throws {
        let started = Date()
        var embedded: MockGatewayServer?
        var host = "127.0.0.1"
        var port: Int
        var ca = caFile
        var generatedCertificates: String?
        defer { if let generatedCertificates { try? FileManager.default.removeItem(atPath: generatedCertificates) } }
        if gateway == "embedded" {
            let scenarioValue = try scenario.map { path -> Scenario in
                do { return try Scenario(contentsOf: path) } catch { throw ValidationError("--scenario: \(error)") }
            }
            var tls: TLSServerConfiguration?
            if let cert = tlsCert, let key = tlsKey {
                tls = TLSServerConfiguration(certificateFile: cert, privateKeyFile: key)
            } else if tlsCert != nil || tlsKey != nil {
                throw ValidationError("--tls-cert and --tls-key go together")
            } else if !plaintext {
                // No certificate given: TLS with a throwaway self-signed one, trusted as its own CA.
                let directory = try temporaryDirectory()
                generatedCertificates = directory
                do {
                    let files = try SelfSignedCertificate.generate().write(toDirectory: directory)
                    tls = TLSServerConfiguration(certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile)
                } catch {
                    throw ValidationError("cannot generate a certificate for the embedded gateway: \(error)")
                }
                ca = directory + "/certificate.pem"
            }
            let server = try MockGatewayServer(
                configuration: MockGatewayConfiguration(mode: scenarioValue == nil ? .acceptAll : .validating,
                                                        requiresAuthentication: false, scenario: scenarioValue),
                tls: tls, threads: 1)
            embedded = server
            port = server.server.port
            if tls == nil { ca = nil }
        } else {
            let parts = gateway.split(separator: ":")
            guard parts.count == 2, let p = Int(parts[1]) else {
                throw ValidationError("--gateway is 'embedded' or HOST:PORT, got '\(gateway)'")
            }
            host = String(parts[0])
            port = p
            if plaintext { ca = nil } else if ca == nil {
                throw ValidationError("a HOST:PORT gateway needs --ca-file (TLS) or --plaintext (h2c)")
            }
        }
        defer { embedded?.server.shutdown(gracePeriod: .seconds(2)) }

        var credentials: APNsTokenCredentials?
        if let file = apnsKeyFile, let keyID = apnsKeyID, let teamID = apnsTeamID {
            do { credentials = try APNsTokenCredentials(p8File: file, keyID: keyID, teamID: teamID) } catch {
                throw ValidationError("--apns-key-file: \(error)")
            }
        }

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let display = ProgressDisplay(mode: ProgressDisplay.Mode.choose(json: json), interval: progressInterval)
        display.note("bench: \(installations) installations (\(percent(iosShare)) iOS, \(percent(optInShare)) opted in), one campaign to every opted-in installation…")
        let result = try DeliveryBenchmark.run(
            DeliveryBenchmark.Options(installations: installations, host: host, port: port, caFile: ca,
                                      connections: connections, streams: streams, loopThreads: threads,
                                      eventDirectory: out, seed: seed, iosShare: iosShare, optInShare: optInShare,
                                      apnsCredentials: credentials, topic: topic),
            residentBytes: { ProcessMemory.residentBytes() }, cpuSeconds: { ProcessMemory.cpuSeconds() },
            progressInterval: .milliseconds(Int64(max(0.05, min(progressInterval, 0.25)) * 1000)),
            progress: { display.update($0) })
        let peak = ProcessMemory.peakResidentBytes()
        let csv = CSVCount(directory: out)
        let summary = Summary(installations: installations, iosShare: iosShare, optInShare: optInShare, result: result,
                              csv: csv, peakRSS: peak, connections: connections, streams: streams, threads: threads,
                              gateway: gateway == "embedded" ? "embedded \(ca == nil ? "h2c" : "TLS")" : gateway, out: out,
                              wallSeconds: Date().timeIntervalSince(started))
        print(json ? summary.json : summary.text)
    }

    /// A fresh private directory for generated certificates.
    private func temporaryDirectory() throws -> String {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("pushengine-bench-XXXXXX")).utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw ValidationError("cannot create a temporary directory for the embedded gateway's certificate") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}

/// The end-of-run report: a summary shaped like h2load's, or one JSON object.
struct Summary {
    var installations: Int
    var iosShare: Double
    var optInShare: Double
    var result: DeliveryBenchmark.Result
    var csv: CSVCount
    var peakRSS: Int
    var connections: Int
    var streams: Int
    var threads: Int
    var gateway: String
    var out: String
    var wallSeconds: Double

    /// (targeted, sent, token_deleted, push_error) of one platform's job; zeros when it had none.
    private func counts(_ p: Platform) -> (targeted: Int, sent: Int, deleted: Int, failed: Int) {
        guard let q = result.byPlatform[p] else { return (0, 0, 0, 0) }
        return (q.targeted, q.sent, q.tokensDeleted, q.failed)
    }

    /// `latency_ms` of one summary: count, min, p50, p95, p99, max (milliseconds).
    private func latencyJSON(_ l: (count: Int, values: [Double])) -> String {
        JSONObject([("count", "\(l.count)")] + zip(["min", "p50", "p95", "p99", "max"], l.values).map { ($0, fmt($1, 3)) }).text
    }

    /// Request latencies in milliseconds (min, p50, p95, p99, max) of both platforms, or of one.
    private func latency(_ p: Platform? = nil) -> (count: Int, values: [Double]) {
        guard let l = p.map({ result.latencyByPlatform[$0] }) ?? result.latency else { return (0, [0, 0, 0, 0, 0]) }
        return (l.count, [l.min, l.p50, l.p95, l.p99, l.max].map(\.milliseconds))
    }

    var bytesPerInstallation: Double { Double(result.residentBytesBeforeCampaign) / Double(max(installations, 1)) }

    var json: String {
        let p = result.progress
        let pop = result.population
        func platformJSON(_ platform: Platform, installations: Int, optedIn: Int) -> String {
            let q = counts(platform)
            return JSONObject([
                ("installations", "\(installations)"), ("opted_in", "\(optedIn)"), ("targeted", "\(q.targeted)"),
                ("sent", "\(q.sent)"), ("token_deleted", "\(q.deleted)"), ("push_error", "\(q.failed)"),
                ("latency_ms", latencyJSON(latency(platform))),
            ]).text
        }
        return JSONObject([
            ("installations", "\(installations)"), ("ios_share", fmt(iosShare, 3)), ("optin_share", fmt(optInShare, 3)),
            ("opted_in", "\(pop.optedIn)"), ("targeted", "\(p.targeted)"), ("sent", "\(p.sent)"),
            ("token_deleted", "\(p.tokensDeleted)"), ("push_error", "\(p.failed)"), ("retried", "\(result.retried)"),
            ("seconds", fmt(result.seconds, 3)), ("rate", "\(Int(result.perSecond))"),
            ("latency_ms", latencyJSON(latency())),
            ("platforms", JSONObject([
                ("ios", platformJSON(.iOS, installations: pop.iOS, optedIn: pop.iOSOptedIn)),
                ("android", platformJSON(.android, installations: pop.android, optedIn: pop.androidOptedIn)),
            ]).text),
            ("index_build_seconds", fmt(result.buildSeconds, 3)),
            ("campaign_cpu_seconds", fmt(result.campaignCPUSeconds, 3)),
            ("peak_rss_bytes", "\(peakRSS)"),
            ("bytes_per_installation", fmt(bytesPerInstallation, 1)),
            ("csv_lines", "\(csv.lines)"), ("csv_bytes", "\(csv.bytes)"), ("csv_files", "\(csv.files)"),
            ("connections", "\(connections)"), ("streams", "\(streams)"), ("threads", "\(threads)"),
            ("gateway", JSONObject.string(gateway)), ("out", JSONObject.string(out)),
            ("wall_seconds", fmt(wallSeconds, 3)),
        ]).text
    }

    var text: String {
        let p = result.progress
        let pop = result.population
        func line(_ name: String, _ platform: Platform) -> String {
            let q = counts(platform)
            return "  \(name) \(q.targeted) targeted, \(q.sent) sent, \(q.deleted) token_deleted, \(q.failed) push_error"
        }
        var lines = [
            "finished in \(fmt(result.seconds, 2))s, \(fmt(result.perSecond, 2)) notifications/s",
            "connections: \(connections) x \(streams) streams per platform, \(threads) loop thread\(threads == 1 ? "" : "s"), gateway \(gateway)",
            "installations: \(installations) generated (\(pop.iOS) iOS, \(pop.android) Android), \(pop.optedIn) opted in; "
                + "index built in \(fmt(result.buildSeconds, 2))s, \(fmt(bytesPerInstallation, 0)) bytes/installation",
            "notifications: \(p.targeted) targeted, \(p.sent) sent, \(p.tokensDeleted) token_deleted, \(p.failed) push_error, "
                + "\(result.retried) retried, \(p.pending) pending",
        ]
        if result.byPlatform[.iOS] != nil { lines.append(line("iOS (APNs):    ", .iOS)) }
        if result.byPlatform[.android] != nil { lines.append(line("Android (FCM): ", .android)) }
        func row(_ name: String, _ l: (count: Int, values: [Double])) -> String {
            name + l.values.map { fmt($0, 2).leftPadded(9) }.joined() + "   (\(l.count) answers)"
        }
        lines.append("                     " + ["min", "median", "p95", "p99", "max"].map { $0.leftPadded(9) }.joined())
        lines.append(row("latency (ms):        ", latency()))
        if result.byPlatform.count > 1 {
            lines.append(row("  iOS (APNs):        ", latency(.iOS)))
            lines.append(row("  Android (FCM):     ", latency(.android)))
        }
        lines += [
            "cpu: \(fmt(result.campaignCPUSeconds, 2))s for the campaign, \(fmt(result.campaignCPUSeconds * 1e6 / Double(max(p.targeted, 1)), 2)) µs/notification "
                + "(all threads of this process\(gateway.hasPrefix("embedded") ? ", the embedded gateway included" : ""))",
            "memory: \(mb(result.residentBytesBeforeCampaign)) MB after the index build, \(mb(peakRSS)) MB peak RSS",
            "events: \(csv.lines) CSV lines, \(mb(csv.bytes)) MB in \(out) (\(csv.files) file\(csv.files == 1 ? "" : "s"))",
            "total wall time: \(fmt(wallSeconds, 1))s",
        ]
        return lines.joined(separator: "\n")
    }

    private func mb(_ bytes: Int) -> String { fmt(Double(bytes) / 1_048_576, 1) }
}

extension Duration {
    /// This duration in milliseconds.
    var milliseconds: Double {
        let c = components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}

func fmt(_ value: Double, _ decimals: Int) -> String {
    value.isFinite ? String(format: "%.\(decimals)f", value) : "0"
}

/// A JSON object built in key order from already-encoded values.
struct JSONObject {
    var fields: [(String, String)]

    init(_ fields: [(String, String)]) { self.fields = fields }

    var text: String { "{" + fields.map { "\(JSONObject.string($0.0)):\($0.1)" }.joined(separator: ",") + "}" }

    /// A JSON string literal.
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// Live progress: a bar redrawn in place on a terminal, otherwise a plain line to stderr every
/// few seconds (and one at the end of each phase). Called from one thread only.
final class ProgressDisplay {
    enum Mode {
        /// A one-line bar redrawn on stdout (a terminal).
        case bar
        /// Plain lines on stderr.
        case lines

        /// A bar when stdout is a terminal and it is not reserved for JSON; lines otherwise.
        static func choose(json: Bool) -> Mode { !json && isatty(1) == 1 ? .bar : .lines }
    }

    let mode: Mode
    let interval: Double
    private var lastLine = -Double.infinity
    private var lastPhase: DeliveryBenchmark.Progress.Phase?
    private var barDrawn = false

    init(mode: Mode, interval: Double) {
        self.mode = mode
        self.interval = interval
    }

    /// A message line (on stderr, clearing the bar first when one is drawn).
    func note(_ text: String) {
        if barDrawn { write(1, "\r\u{1B}[K"); barDrawn = false }
        printError(text)
    }

    func update(_ p: DeliveryBenchmark.Progress) {
        let phaseEnded = p.phase == .finished || (p.phase == .building && p.done == p.total)
        switch mode {
        case .bar:
            write(1, "\r" + barText(p) + "\u{1B}[K" + (phaseEnded ? "\n" : ""))
            barDrawn = !phaseEnded
        case .lines:
            let now = DeliveryBenchmark.Progress.monotonicSeconds()
            if phaseEnded || lastPhase != p.phase || now - lastLine >= interval {
                lastLine = now
                printError(lineText(p))
            }
        }
        lastPhase = p.phase
    }

    private func rate(_ p: DeliveryBenchmark.Progress) -> Double { p.seconds > 0 ? Double(p.done) / p.seconds : 0 }

    private func eta(_ p: DeliveryBenchmark.Progress) -> String {
        let r = rate(p)
        guard r > 0, p.done < p.total else { return "0s" }
        let s = Double(p.total - p.done) / r
        return s >= 60 ? "\(Int(s) / 60)m\(Int(s) % 60)s" : "\(fmt(s, 0))s"
    }

    func barText(_ p: DeliveryBenchmark.Progress) -> String {
        let width = 30
        let fraction = p.total > 0 ? min(1, Double(p.done) / Double(p.total)) : 1
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let what = p.phase == .building ? "index" : "sent "
        return "\(what) [\(bar)] \(fmt(fraction * 100, 0).leftPadded(3))%  \(p.done)/\(p.total)  \(Int(rate(p)))/s  "
            + (p.phase == .finished || (p.phase == .building && p.done == p.total) ? "in \(fmt(p.seconds, 1))s" : "ETA \(eta(p))")
    }

    func lineText(_ p: DeliveryBenchmark.Progress) -> String {
        switch p.phase {
        case .building:
            return "progress: index \(p.done)/\(p.total) installations, \(Int(rate(p)))/s, \(fmt(p.seconds, 1))s"
        case .sending, .finished:
            let d = p.delivery
            return "progress: \(p.done)/\(p.total) notifications final (\(d.sent) sent, \(d.tokensDeleted) token_deleted, "
                + "\(d.failed) push_error), \(Int(rate(p)))/s, "
                + (p.phase == .finished ? "done in \(fmt(p.seconds, 1))s" : "ETA \(eta(p))")
        }
    }

    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

extension DeliveryBenchmark.Progress {
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// Counts lines and bytes of the CSV files under a directory (published and spooled).
struct CSVCount {
    var files = 0
    var lines = 0
    var bytes = 0

    init(directory: String) {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while let rel = e.nextObject() as? String {
            guard rel.hasSuffix(".csv") || rel.hasSuffix(".csv.partial") else { continue }
            let fd = open(directory + "/" + rel, O_RDONLY)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            files += 1
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                bytes += n
                for i in 0..<n where buffer[i] == 0x0A { lines += 1 }
            }
        }
    }
}
