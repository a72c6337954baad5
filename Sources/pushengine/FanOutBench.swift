import ArgumentParser
import Foundation
import HTTP2Transport
import MockGateway
import PushEngine

/// The sending mode of `pushengine bench`: generate N installations, fan one campaign out to
/// all of them through the engine against a gateway (the embedded mock gateway by default),
/// spill the events to daily CSV files, and print a summary.
struct FanOutBench {
    var installations: Int
    var seed: UInt64
    var gateway: String
    var plaintext: Bool
    var caFile: String?
    var tlsCert: String?
    var tlsKey: String?
    var scenario: String?
    var connections: Int
    var streams: Int
    var threads: Int
    var out: String
    var json: Bool

    func run() throws {
        let started = Date()
        var embedded: MockGatewayServer?
        var host = "127.0.0.1"
        var port: Int
        var ca = caFile
        if gateway == "embedded" {
            let scenarioValue = try scenario.map { path -> Scenario in
                do { return try Scenario(contentsOf: path) } catch { throw ValidationError("--scenario: \(error)") }
            }
            var tls: TLSServerConfiguration?
            if let cert = tlsCert, let key = tlsKey {
                tls = TLSServerConfiguration(certificateFile: cert, privateKeyFile: key)
            } else if !plaintext {
                throw ValidationError("the embedded gateway serves TLS with --tls-cert/--tls-key (and --ca-file to trust it), or h2c with --plaintext")
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

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        printError("bench: fanning out one campaign to \(installations) installations…")
        let result = try DeliveryBenchmark.run(
            DeliveryBenchmark.Options(installations: installations, host: host, port: port, caFile: ca,
                                      connections: connections, streams: streams, loopThreads: threads,
                                      eventDirectory: out, seed: seed),
            residentBytes: { ProcessMemory.residentBytes() }, cpuSeconds: { ProcessMemory.cpuSeconds() })
        let csv = CSVCount(directory: out)
        let p = result.progress
        let peak = ProcessMemory.peakResidentBytes()
        if json {
            let fields: [(String, String)] = [
                ("installations", "\(installations)"), ("targeted", "\(p.targeted)"), ("sent", "\(p.sent)"),
                ("token_deleted", "\(p.tokensDeleted)"), ("push_error", "\(p.failed)"),
                ("seconds", String(format: "%.3f", result.seconds)), ("rate", "\(Int(result.perSecond))"),
                ("index_build_seconds", String(format: "%.3f", result.buildSeconds)),
                ("campaign_cpu_seconds", String(format: "%.3f", result.campaignCPUSeconds)),
                ("peak_rss_bytes", "\(peak)"),
                ("bytes_per_installation", String(format: "%.1f", Double(result.residentBytesBeforeCampaign) / Double(max(installations, 1)))),
                ("csv_lines", "\(csv.lines)"), ("csv_bytes", "\(csv.bytes)"),
                ("connections", "\(connections)"), ("streams", "\(streams)"),
                ("gateway", "\"\(gateway == "embedded" ? "embedded" : gateway)\""),
                ("out", "\"\(out)\""),
            ]
            print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
            return
        }
        let wall = Date().timeIntervalSince(started)
        print("""
        finished in \(String(format: "%.2f", result.seconds))s, \(Int(result.perSecond)) notifications/s \
        (\(connections) connections x \(streams) streams, \(threads) loop thread\(threads == 1 ? "" : "s"), \
        gateway \(gateway == "embedded" ? "embedded \(ca == nil ? "h2c" : "TLS")" : gateway))
        installations: \(installations) generated, index built in \(String(format: "%.2f", result.buildSeconds))s
        cpu: \(String(format: "%.2f", result.campaignCPUSeconds))s for the campaign (\(String(format: "%.2f", result.campaignCPUSeconds * 1e6 / Double(max(p.targeted, 1)))) µs per notification, all threads of this process, an embedded gateway included)
        outcomes: \(p.targeted) targeted, \(p.sent) sent, \(p.tokensDeleted) token_deleted, \(p.failed) push_error, \(p.pending) pending
        memory: \(mb(result.residentBytesBeforeCampaign)) MB after the index build, \(mb(peak)) MB peak RSS
        events: \(csv.lines) CSV lines, \(mb(csv.bytes)) MB in \(out) (\(csv.files) file\(csv.files == 1 ? "" : "s"))
        total wall time: \(String(format: "%.1f", wall))s
        """)
    }

    private func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
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
            guard let data = fm.contents(atPath: directory + "/" + rel) else { continue }
            files += 1
            bytes += data.count
            lines += data.withUnsafeBytes { raw in
                var n = 0
                for byte in raw where byte == 0x0A { n += 1 }
                return n
            }
        }
    }
}
