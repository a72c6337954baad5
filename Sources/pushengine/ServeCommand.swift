import ArgumentParser
import Logging
import PushService

/// `pushengine serve`: the engine as a service with a Batch-shaped REST API (thin: flags, config, run).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the engine as a service: REST API (transactional sends, installations, SDK events, metrics).",
        discussion: """
        With no --config it runs the embedded default: app Demo (API keys DEMO_IOS_KEY, DEMO_ANDROID_KEY, \
        REST key DEMO_REST_KEY) sending to an embedded mock gateway, data under ./pushengine-data. \
        Flags override the config file. SIGTERM/SIGINT: stop accepting, finish in-flight sends, flush the event log, exit 0.
        """
    )

    @Option(help: "Config file (JSON; README: 'pushengine serve'). Default: the embedded demo.")
    var config: String?

    @Option(help: "Address to listen on (overrides the config).")
    var host: String?

    @Option(help: "Port (0: any free port; overrides the config).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the event files (overrides the config).")
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical (overrides the config).")
    var logLevel: String?

    func run() throws {
        let command = self
        try runBlocking { try await command.serve() }
    }

    private func serve() async throws {
        var configuration: ServeConfiguration
        do {
            configuration = try config.map { path throws(ServeError) in try ServeConfiguration.load(contentsOf: path) } ?? .demo
        } catch {
            printError("pushengine serve: \(error)")
            throw ExitCode.failure
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let logLevel { configuration.logLevel = logLevel }
        guard let level = Logger.Level(rawValue: configuration.logLevel) else {
            printError("pushengine serve: log_level: must be trace, debug, info, notice, warning, error or critical")
            throw ExitCode.failure
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let server: PushServer
        do {
            server = try PushServer(configuration: configuration, logger: Logger(label: "pushengine.serve"))
        } catch {
            printError("pushengine serve: \(error)")
            throw ExitCode.failure
        }
        let isDemo = config == nil
        let host = configuration.host
        let settled = configuration
        try await server.run { port in
            printLine(ServeBanner.text(configuration: settled, host: host, port: port, showKeys: isDemo))
        }
        printLine("pushengine serve: stopped (event log flushed)")
    }
}

/// What `serve` prints once it listens: the address, the apps and, for the embedded default, the keys and a curl to try.
enum ServeBanner {
    static func text(configuration: ServeConfiguration, host: String, port: Int, showKeys: Bool) -> String {
        let base = "http://\(host):\(port)"
        var lines = ["pushengine serve: listening on \(base) (data under \(configuration.dataDirectory))"]
        for app in configuration.apps {
            if showKeys {
                lines.append("app \(app.name): iOS API key \(app.ios?.apiKey ?? "-"), Android API key \(app.android?.apiKey ?? "-"), REST key \(app.restKey) (X-Authorization)")
            } else {
                lines.append("app \(app.name): \(app.ios == nil ? "" : "iOS ")\(app.android == nil ? "" : "Android")")
            }
        }
        if showKeys, let app = configuration.apps.first, let ios = app.ios {
            lines.append("""
            try:
              curl -s -X POST \(base)/1.0/\(ios.apiKey)/installations -H 'X-Authorization: \(app.restKey)' -H 'Content-Type: application/json' \\
                -d '[{"install_id":"inst-1","custom_id":"user-1","token":"\(String(repeating: "ab", count: 32))","optin":true}]'
              curl -s -X POST \(base)/1.1/\(ios.apiKey)/transactional/send -H 'X-Authorization: \(app.restKey)' -H 'Content-Type: application/json' \\
                -d '{"group_id":"welcome","recipients":{"custom_ids":["user-1"]},"message":{"title":"Hi","body":"Hello"}}'
            """)
        }
        return lines.joined(separator: "\n")
    }
}
