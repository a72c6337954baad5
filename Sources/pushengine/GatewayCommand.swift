import ArgumentParser
import Dispatch
import HTTP2Transport
import PushCrypto
import Logging
import MockGateway
import PushJSON
import PushSync
import Replay
#if canImport(Glibc)
import Glibc
#endif

/// `pushengine gateway`: a mock APNs / FCM gateway on real HTTP/2.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a mock APNs/FCM gateway (HTTP/2) that answers as Apple and Google do.",
        discussion: """
        Prints `listening on HOST:PORT` when ready, runs until SIGINT/SIGTERM, drains, prints its \
        statistics as one JSON line and exits 0. Scenario format: README, example in scripts/.
        """
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free port and prints it).")
    var port = 2197

    @Option(name: .customLong("tls-cert"), help: "Server certificate chain (PEM).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "Server private key (PEM).")
    var tlsKey: String?

    @Option(name: .customLong("client-ca"), help: "Require a client certificate signed by a CA in this PEM file (APNs certificate auth).")
    var clientCA: String?

    @Flag(help: "Serve h2c (HTTP/2 without TLS, prior knowledge).")
    var plaintext = false

    @Option(help: "validating (every check, default) or accept-all (200 to everything, for benchmarks).")
    var mode = MockGatewayConfiguration.Mode.validating.rawValue

    @Option(help: "Scenario JSON file (failures, latencies, connection faults).")
    var scenario: String?

    @Option(name: .customLong("scenario-from-events"), help: "Event CSV of an earlier run: installations with token_deleted answer 410.")
    var scenarioFromEvents: String?

    @Option(name: .customLong("installation-tokens"), help: "INSTALLATION_ID;TOKEN lines, mapping the event CSV's installations to tokens.")
    var installationTokens: String?

    @Option(name: .customLong("verify-key"), help: "KEY_ID:TEAM_ID:PUBLIC_KEY.pem trusted for provider tokens (repeatable).")
    var verifyKeys: [String] = []

    @Flag(name: .customLong("no-auth"), help: "Do not check provider tokens or FCM bearers.")
    var noAuth = false

    @Option(name: .customLong("topic"), help: "Accept only this bundle ID as apns-topic (repeatable; default: any).")
    var topics: [String] = []

    @Option(name: .customLong("service-account"), help: "Service-account JSON whose RS256 assertions POST /token accepts (repeatable; default: any well-formed assertion).")
    var serviceAccounts: [String] = []

    @Option(name: .customLong("max-streams"), help: "SETTINGS_MAX_CONCURRENT_STREAMS to announce.")
    var maxStreams: Int?

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int = EventLoopGroup.coreCount

    @Option(help: "Write every answered request as one JSON line to FILE.")
    var record: String?

    func validate() throws {
        if plaintext, tlsCert != nil || tlsKey != nil {
            throw ValidationError("--plaintext excludes --tls-cert/--tls-key")
        }
        if !plaintext, tlsCert == nil || tlsKey == nil {
            throw ValidationError("give --tls-cert FILE and --tls-key FILE, or --plaintext")
        }
        if plaintext, clientCA != nil {
            throw ValidationError("--client-ca needs TLS (--tls-cert/--tls-key), not --plaintext")
        }
        if MockGatewayConfiguration.Mode(rawValue: mode) == nil {
            throw ValidationError("--mode must be validating or accept-all")
        }
        if let maxStreams, maxStreams < 1 { throw ValidationError("--max-streams must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if installationTokens != nil, scenarioFromEvents == nil {
            throw ValidationError("--installation-tokens is only used with --scenario-from-events")
        }
    }

    func run() throws {
        let configuration = try makeConfiguration()
        let tls = plaintext ? nil : TLSServerConfiguration(certificateFile: tlsCert!, privateKeyFile: tlsKey!, clientCAFile: clientCA)
        var logger = Logger(label: "pushengine.gateway")
        logger.logLevel = .warning
        let server = try MockGatewayServer(
            configuration: configuration, host: host, port: port, tls: tls, threads: threads,
            maxConcurrentStreams: maxStreams, logger: logger
        )
        printLine("listening on \(host):\(server.port)")
        waitForTerminationSignal()
        server.shutdown(gracePeriod: .seconds(5))
        printLine(server.gateway.statistics.jsonLine())
    }

    private func makeConfiguration() throws -> MockGatewayConfiguration {
        var scenarioValue = try scenario.map { path throws(ScenarioError) in try Scenario(contentsOf: path) }
        if let events = scenarioFromEvents {
            var base = scenarioValue ?? Scenario()
            let mapping = try installationTokens.map { path throws(ScenarioError) in try Scenario.installationTokens(contentsOf: path) } ?? [:]
            let summary = try base.addTokenDeletedRules(
                eventsCSV: try PushFile.readAll(path: events, limit: .max), source: events, installationTokens: mapping
            )
            printError("scenario from \(events): \(summary.tokenDeletedEvents) token_deleted events, \(summary.tokens) tokens answer 410, \(summary.unmappedInstallations.count) installations without a token")
            scenarioValue = base
        }
        var keys: [ProviderVerificationKey] = []
        for argument in verifyKeys { keys.append(try ProviderVerificationKey(argument: argument)) }
        let mode = MockGatewayConfiguration.Mode(rawValue: mode) ?? .validating
        if mode == .validating, !noAuth, keys.isEmpty {
            printError("warning: no --verify-key given: every APNs provider token will be refused (use --no-auth to skip the checks)")
        }
        var accounts: [String: RSAPublicKey] = [:]
        for path in serviceAccounts {
            let (email, key) = try loadServiceAccount(path)
            accounts[email] = key
        }
        let recorder = try record.map { path throws(GatewayRecorderError) in try GatewayRecorder(path: path) }
        return MockGatewayConfiguration(
            mode: mode, verificationKeys: keys, requiresAuthentication: !noAuth,
            allowedTopics: topics.isEmpty ? nil : Set(topics), scenario: scenarioValue,
            maxConcurrentStreams: maxStreams, recorder: recorder, serviceAccounts: accounts
        )
    }
}

/// A service-account JSON file that cannot be used.
struct ServiceAccountError: Error, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { "--service-account \(path): \(message)" }
}

/// Reads `client_email` and the public half of `private_key` from a service-account JSON file.
private func loadServiceAccount(_ path: String) throws -> (String, RSAPublicKey) {
    let bytes = try PushFile.readAll(path: path, limit: .max)
    guard let json = try? JSONValue.parse(bytes) else {
        throw ServiceAccountError(path: path, message: "not JSON")
    }
    guard let email = json["client_email"]?.stringValue, let pem = json["private_key"]?.stringValue else {
        throw ServiceAccountError(path: path, message: "needs client_email and private_key")
    }
    do {
        return (email, try RSAPublicKey(pemRepresentation: pem))
    } catch {
        throw ServiceAccountError(path: path, message: error.description)
    }
}
