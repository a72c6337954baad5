import Benchmark
import EventLog
import Foundation
import PushModel

// Micro-benchmarks of the event log's spill path: allocations and instructions per line.
// End-to-end lines/s against the FileHandle + String baseline is measured by the hidden
// `pushengine export throughput` subcommand and recorded in PERFORMANCE.md.

/// 100 batches of 1 024 recent events (one UTC day, mixed push and in-app kinds).
func makeBatches() -> [EventBatch] {
    let app = try! ExportApp(name: "BenchApp", apiKey: "BENCHKEY")
    let hourAgo = PushClock.system.nowSeconds() - 3600
    let campaign: LogField = "c9f8a7d6e5b4c3a2f1e0d9c8b7a6f5e4"
    let transactional = EventRecord.PushSource.transactional(token: "t1a2b3c4d5e6f708192a3b4c5d6e7f80", groupID: "welcome")
    return (0..<100).map { b in
        EventBatch(app: app, platform: .iOS, records: (0..<1024).map { i in
            let n = b * 1024 + i
            let user = EventUser(customID: try! LogField("user-\(n % 4096)", field: "c"),
                                 installationID: try! LogField("5a1e4c1b-9d2e-4f00-8000-\(String(n, radix: 16))", field: "i"))
            let time = try! EventTime(secondsSinceEpoch: hourAgo + Int64(n % 3600))
            switch n % 10 {
            case 0..<6: return .push(.sent, at: time, user: user, source: .campaign(token: campaign))
            case 6, 7: return .push(.sent, at: time, user: user, source: transactional)
            case 8: return .subscription(.optIn, at: time, user: user)
            default: return .inApp(.clicked(position: 1, action: "batch.deeplink"), at: time, user: user, campaign: campaign)
            }
        })
    }
}

let benchmarks: @Sendable () -> Void = {
    let batches = makeBatches()
    let lineCount = batches.reduce(0) { $0 + $1.records.count }

    // One iteration: 102 400 lines appended, formatted by the writer thread and written to
    // the page cache (flush without fsync). Allocations should scale with batches and
    // buffer writes, not with lines.
    Benchmark("EventLog.spill 102400 lines",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions, .syscalls],
                                   scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 30)) { benchmark in
        let directory = NSTemporaryDirectory() + "eventlog-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: directory + "/spool"),
                                        sink: LocalDirectorySink(directory: directory + "/out"))
        benchmark.startMeasurement()
        for batch in batches { try writer.append(batch) }
        try writer.flush(sync: false)
        benchmark.stopMeasurement()
        try writer.shutdown()
        blackHole(lineCount)
    }

    // The userbase snapshot: 102 400 rows formatted and written, then published.
    let rows = (0..<lineCount).map { n in
        UserbaseEntry(customID: try! LogField("user-\(n)", field: "c"), advertisingID: try! LogField("AD-\(n)", field: "a"), optIn: n % 3 == 0)
    }
    Benchmark("EventLog.userbase 102400 rows",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, .instructions],
                                   scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 30)) { benchmark in
        let directory = NSTemporaryDirectory() + "eventlog-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = try LocalDirectorySink(directory: directory + "/out")
        benchmark.startMeasurement()
        try UserbaseExport.write(rows: rows, app: try ExportApp(name: "BenchApp", apiKey: "BENCHKEY"), platform: .iOS,
                                 day: try UTCDay(parsing: "2017-07-24"), spoolDirectory: directory + "/spool", sink: sink)
        benchmark.stopMeasurement()
    }
}
