import ArgumentParser
import PushBench

/// `pushengine bench-transactional`: N single-recipient transactional sends started at once
/// against a running gateway; prints the threads and memory they took while in flight.
struct TransactionalBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-transactional",
        abstract: "Start N small transactional sends at once against a running gateway; report threads and memory.")

    @Option(help: "Transactional sends, one recipient each.")
    var sends: Int = 10_000

    @Option(help: "Installations they go to.")
    var installations: Int = 1_000

    @Option(help: "Gateway port on 127.0.0.1.")
    var port: Int

    @Option(help: "CA file (TLS); omit for h2c.")
    var caFile: String?

    func validate() throws {
        guard sends > 0, installations > 0 else { throw ValidationError("--sends and --installations must be positive") }
    }

    func run() throws {
        let options = TransactionalBenchmark.Options(sends: sends, installations: installations, port: port, caFile: caFile)
        let r = try runBlocking { try await TransactionalBenchmark.run(options) }
        print("transactional: \(r.sent) of \(sends) sent in \(r.seconds) s")
        print("threads: \(r.threadsBefore) before, \(r.threadsPeak) at most while sending; worker threads at most \(r.workerThreadsPeak)")
        print("memory: \(r.residentGrowthBytes) bytes more once all \(sends) were started")
    }
}
