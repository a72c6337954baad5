import ArgumentParser

/// The `pushengine` command: thin wiring over the libraries.
@main
struct PushEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pushengine",
        abstract: "An in-memory, high-throughput push delivery engine (APNs / FCM over HTTP/2).",
        version: PushEngineVersion.current,
        subcommands: [ServeCommand.self, GatewayCommand.self, ExportCommand.self, TransportCommand.self, BenchCommand.self, DeliveryBenchCommand.self, TransactionalBenchCommand.self]
    )
}

/// The version printed by `pushengine --version`.
enum PushEngineVersion {
    static let current = "0.1.0"
}
