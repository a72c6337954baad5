import Foundation
import Gateways
import HTTP2Transport
import PushCrypto
import MockGateway
#if canImport(Glibc)
import Glibc
#endif

/// The sending mode of `pushengine bench`: generate N installations (a deterministic iOS /
/// Android and opt-in mix), fan one campaign out to every opted-in installation through the
/// engine (APNs to iOS, FCM HTTP v1 to Android) against a gateway (the embedded mock gateway
/// by default), spill the events to daily CSV files, and report a summary shaped like h2load's.
public struct FanOutBench {
    /// Settings that cannot be used together, or files that cannot be used: the message names
    /// the command-line option (`--scenario`, `--tls-cert`, …) to fix.
    public struct SetupError: Error, Sendable, CustomStringConvertible {
        /// What to fix.
        public var message: String
        /// Creates an error.
        public init(_ message: String) { self.message = message }
        /// The message.
        public var description: String { message }
    }

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

    /// Creates a run; the parameters are `pushengine bench`'s options of the same names.
    public init(installations: Int, seed: UInt64, iosShare: Double, optInShare: Double, gateway: String, plaintext: Bool,
                caFile: String?, tlsCert: String?, tlsKey: String?, apnsKeyFile: String?, apnsKeyID: String?, apnsTeamID: String?,
                topic: String, scenario: String?, connections: Int, streams: Int, threads: Int, out: String, json: Bool,
                progressInterval: Double) {
        self.installations = installations
        self.seed = seed
        self.iosShare = iosShare
        self.optInShare = optInShare
        self.gateway = gateway
        self.plaintext = plaintext
        self.caFile = caFile
        self.tlsCert = tlsCert
        self.tlsKey = tlsKey
        self.apnsKeyFile = apnsKeyFile
        self.apnsKeyID = apnsKeyID
        self.apnsTeamID = apnsTeamID
        self.topic = topic
        self.scenario = scenario
        self.connections = connections
        self.streams = streams
        self.threads = threads
        self.out = out
        self.json = json
        self.progressInterval = progressInterval
    }

    /// Runs the campaign (progress on stderr, or a bar on a terminal) and returns its summary.
    /// - Throws: ``SetupError`` for unusable settings; engine and event-log errors as they come.
    public func run() throws -> FanOutSummary {
        let started = Date()
        var embedded: MockGatewayServer?
        var host = "127.0.0.1"
        var port: Int
        var ca = caFile
        var generatedCertificates: String?
        defer { if let generatedCertificates { try? FileManager.default.removeItem(atPath: generatedCertificates) } }
        if gateway == "embedded" {
            let scenarioValue = try scenario.map { path -> Scenario in
                do { return try Scenario(contentsOf: path) } catch { throw SetupError("--scenario: \(error)") }
            }
            var tls: TLSServerConfiguration?
            if let cert = tlsCert, let key = tlsKey {
                tls = TLSServerConfiguration(certificateFile: cert, privateKeyFile: key)
            } else if tlsCert != nil || tlsKey != nil {
                throw SetupError("--tls-cert and --tls-key go together")
            } else if !plaintext {
                // No certificate given: TLS with a throwaway self-signed one, trusted as its own CA.
                let directory = try temporaryDirectory()
                generatedCertificates = directory
                do {
                    let files = try SelfSignedCertificate.generate().write(toDirectory: directory)
                    tls = TLSServerConfiguration(certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile)
                } catch {
                    throw SetupError("cannot generate a certificate for the embedded gateway: \(error)")
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
                throw SetupError("--gateway is 'embedded' or HOST:PORT, got '\(gateway)'")
            }
            host = String(parts[0])
            port = p
            if plaintext { ca = nil } else if ca == nil {
                throw SetupError("a HOST:PORT gateway needs --ca-file (TLS) or --plaintext (h2c)")
            }
        }
        defer { embedded?.server.shutdown(gracePeriod: .seconds(2)) }

        var credentials: APNsTokenCredentials?
        if let file = apnsKeyFile, let keyID = apnsKeyID, let teamID = apnsTeamID {
            do { credentials = try APNsTokenCredentials(p8File: file, keyID: keyID, teamID: teamID) } catch {
                throw SetupError("--apns-key-file: \(error)")
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
        return FanOutSummary(installations: installations, iosShare: iosShare, optInShare: optInShare, result: result,
                              csv: csv, peakRSS: peak, connections: connections, streams: streams, threads: threads,
                              gateway: gateway == "embedded" ? "embedded \(ca == nil ? "h2c" : "TLS")" : gateway, out: out,
                              wallSeconds: Date().timeIntervalSince(started))
    }

    /// A fresh private directory for generated certificates.
    private func temporaryDirectory() throws -> String {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("pushengine-bench-XXXXXX")).utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw SetupError("cannot create a temporary directory for the embedded gateway's certificate") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}

