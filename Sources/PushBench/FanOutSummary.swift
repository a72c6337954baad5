import Foundation
import PushModel
import PushJSON
import PushSync
#if canImport(Glibc)
import Glibc
#endif

/// The end-of-run report of ``FanOutBench``: a summary shaped like h2load's, or one JSON object.
public struct FanOutSummary: Sendable {
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
    private func writeLatency(_ l: (count: Int, values: [Double]), to w: inout JSONWriter) {
        w.beginObject("latency_ms")
        w.int("count", Int64(l.count))
        for (name, value) in zip(["min", "p50", "p95", "p99", "max"], l.values) { w.double(name, rounded(value, 3)) }
        w.endObject()
    }

    /// Request latencies in milliseconds (min, p50, p95, p99, max) of both platforms, or of one.
    private func latency(_ p: Platform? = nil) -> (count: Int, values: [Double]) {
        guard let l = p.map({ result.latencyByPlatform[$0] }) ?? result.latency else { return (0, [0, 0, 0, 0, 0]) }
        return (l.count, [l.min, l.p50, l.p95, l.p99, l.max].map(\.milliseconds))
    }

    var bytesPerInstallation: Double { Double(result.residentBytesBeforeCampaign) / Double(max(installations, 1)) }

    /// One JSON object (`pushengine bench --json`).
    public var json: String {
        let p = result.progress
        let pop = result.population
        var w = JSONWriter(capacity: 2048)
        func writePlatform(_ name: String, _ platform: Platform, installations: Int, optedIn: Int) {
            let q = counts(platform)
            w.beginObject(name)
            w.int("installations", Int64(installations))
            w.int("opted_in", Int64(optedIn))
            w.int("targeted", Int64(q.targeted))
            w.int("sent", Int64(q.sent))
            w.int("token_deleted", Int64(q.deleted))
            w.int("push_error", Int64(q.failed))
            writeLatency(latency(platform), to: &w)
            w.endObject()
        }
        w.beginObject()
        w.int("installations", Int64(installations))
        w.double("ios_share", rounded(iosShare, 3))
        w.double("optin_share", rounded(optInShare, 3))
        w.int("opted_in", Int64(pop.optedIn))
        w.int("targeted", Int64(p.targeted))
        w.int("sent", Int64(p.sent))
        w.int("token_deleted", Int64(p.tokensDeleted))
        w.int("push_error", Int64(p.failed))
        w.int("retried", Int64(result.retried))
        w.double("seconds", rounded(result.seconds, 3))
        w.int("rate", result.perSecond.isFinite ? Int64(result.perSecond) : 0)
        writeLatency(latency(), to: &w)
        w.beginObject("platforms")
        writePlatform("ios", .iOS, installations: pop.iOS, optedIn: pop.iOSOptedIn)
        writePlatform("android", .android, installations: pop.android, optedIn: pop.androidOptedIn)
        w.endObject()
        w.double("index_build_seconds", rounded(result.buildSeconds, 3))
        w.double("campaign_cpu_seconds", rounded(result.campaignCPUSeconds, 3))
        w.int("peak_rss_bytes", Int64(peakRSS))
        w.double("bytes_per_installation", rounded(bytesPerInstallation, 1))
        w.int("csv_lines", Int64(csv.lines))
        w.int("csv_bytes", Int64(csv.bytes))
        w.int("csv_files", Int64(csv.files))
        w.int("connections", Int64(connections))
        w.int("streams", Int64(streams))
        w.int("threads", Int64(threads))
        w.string("gateway", gateway)
        w.string("out", out)
        w.double("wall_seconds", rounded(wallSeconds, 3))
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The h2load-shaped text summary.
    public var text: String {
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

/// `value` rounded to `decimals` places for the JSON summary (0 when not finite, as in the text).
func rounded(_ value: Double, _ decimals: Int) -> Double {
    guard value.isFinite else { return 0 }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    return (value * scale).rounded() / scale
}

/// Counts lines and bytes of the CSV files under a directory (published and spooled).
struct CSVCount {
    var files = 0
    var lines = 0
    var bytes = 0

    init(directory: String) {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else { return }
        while let rel = e.nextObject() as? String {
            guard rel.hasSuffix(".csv") || rel.hasSuffix(".csv.partial") else { continue }
            var counted = (lines: 0, bytes: 0)
            do {
                try PushFile.forEachChunk(path: directory + "/" + rel, chunkSize: 1 << 20) { chunk in
                    counted.bytes += chunk.count
                    for byte in chunk where byte == 0x0A { counted.lines += 1 }
                }
            } catch {
                if case .open = error.kind { continue }
            }
            files += 1
            lines += counted.lines
            bytes += counted.bytes
        }
    }
}
