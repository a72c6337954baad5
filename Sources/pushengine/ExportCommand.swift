import ArgumentParser
import EventLog
import Foundation
import PushModel
import PushSync

/// `pushengine export`: writes export files on demand.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write export files (the opt-in userbase) on demand.",
        subcommands: [UserbaseCommand.self, ThroughputCommand.self]
    )
}

/// `pushengine export userbase --date YYYY-MM-DD …`: the opt-in userbase snapshot.
struct UserbaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "userbase",
        abstract: "Write APPNAME-userbase_API-KEY@PLATFORM_YYYY-MM-DD.csv (CUSTOM_USER_ID;ADVERTISING_ID;True|False).",
        discussion: """
        Until the installation index feeds the export directly, the rows come from --from FILE:
          *.csv            the userbase format itself: CUSTOM_USER_ID;ADVERTISING_ID;True|False per line
          *.jsonl/*.ndjson {"custom_id": "u1", "advertising_id": "AD-1", "opt_in": true} per line
                           (custom_id absent or null: anonymous user)
        Fields may not contain ';', '"', CR or LF (the event log's one field rule); a bad line is
        reported with its line number and nothing is written. The file is written in the spool
        directory, synced, then moved into --out under its final name (replacing an earlier
        snapshot of the same day).
        """
    )

    @Option(help: "The UTC day the snapshot is named for (YYYY-MM-DD).")
    var date: String

    @Option(name: .customLong("app-name"), help: "APPNAME in the file name.")
    var appName: String

    @Option(name: .customLong("api-key"), help: "API-KEY in the file name.")
    var apiKey: String

    @Option(help: "IOS or ANDROID.", transform: { text in
        guard let platform = Platform(rawValue: text.uppercased()) else {
            throw ValidationError("--platform must be IOS or ANDROID, not '\(text)'")
        }
        return platform
    })
    var platform: Platform

    @Option(help: "The rows: a .csv (userbase format) or .jsonl file.")
    var from: String

    @Option(help: "The directory the file is published to.")
    var out: String

    @Option(help: "Where the file is written before it is published (default: OUT/.spool).")
    var spool: String?

    func run() throws {
        // Every step throws a typed EventLogError whose description names the file, line or field.
        let day = try UTCDay(parsing: date)
        let app = try ExportApp(name: appName, apiKey: apiKey)
        let rows = try UserbaseSourceFile.read(path: from)
        let sink = try LocalDirectorySink(directory: out)
        let summary = try UserbaseExport.write(rows: rows, app: app, platform: platform, day: day,
                                               spoolDirectory: spool ?? out + "/.spool", sink: sink)
        print("\(out)/\(summary.fileName): \(summary.lineCount) lines, \(summary.byteCount) bytes")
    }
}

/// Hidden: `pushengine export throughput` measures the event log's spill path against a
/// baseline (`FileHandle` + `String` interpolation and one write per line) in the same run.
/// Its output is what PERFORMANCE.md's "Event log" section records.
struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Event log lines/s versus a FileHandle + String baseline (release build).",
        shouldDisplay: false
    )

    @Option(help: "Lines per run and variant.")
    var lines = 3_000_000

    @Option(help: "Runs per variant; medians are reported.")
    var runs = 3

    @Option(help: "Scratch directory (deleted and recreated per run).")
    var dir = "/tmp/pushengine-eventlog-throughput"

    func run() throws {
        let app = try ExportApp(name: "BenchApp", apiKey: "BENCHKEY")
        let batches = try Self.makeBatches(lines: lines, app: app)
        var baseline: [Timing] = []
        var eventLog: [Timing] = []
        print("lines/s per run (written = in the page cache; durable = after fsync)")
        for run in 1...runs {
            baseline.append(try Self.runBaseline(batches, directory: dir + "/baseline"))
            eventLog.append(try Self.runEventLog(batches, directory: dir + "/eventlog"))
            print(String(format: "run %d: baseline written %.0f durable %.0f | eventlog written %.0f durable %.0f | ratio written %.1fx",
                         run, baseline[run - 1].written(lines), baseline[run - 1].durable(lines),
                         eventLog[run - 1].written(lines), eventLog[run - 1].durable(lines),
                         eventLog[run - 1].written(lines) / baseline[run - 1].written(lines)))
        }
        func median(_ timings: [Timing], _ value: (Timing) -> Double) -> Double {
            timings.map(value).sorted()[timings.count / 2]
        }
        let baseWritten = median(baseline) { $0.written(lines) }
        let fastWritten = median(eventLog) { $0.written(lines) }
        let baseDurable = median(baseline) { $0.durable(lines) }
        let fastDurable = median(eventLog) { $0.durable(lines) }
        print(String(format: "median of %d: written: baseline %.0f, eventlog %.0f lines/s (%.1fx); durable: baseline %.0f, eventlog %.0f lines/s (%.1fx)",
                     runs, baseWritten, fastWritten, fastWritten / baseWritten, baseDurable, fastDurable, fastDurable / baseDurable))
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Seconds until the last line was handed to the OS, and until it was fsynced.
    struct Timing {
        var writtenSeconds: Double
        var durableSeconds: Double

        func written(_ lines: Int) -> Double { Double(lines) / writtenSeconds }
        func durable(_ lines: Int) -> Double { Double(lines) / durableSeconds }
    }

    static func seconds(since start: UInt64) -> Double { Double(monotonicNanoseconds() &- start) / 1e9 }

    /// A realistic mix over the last hour: campaign and transactional sends, opens, errors,
    /// subscription changes and in-app events, over 65 536 distinct users. (Recent times:
    /// a day past its grace period would be published during the run.)
    static func makeBatches(lines: Int, app: ExportApp) throws -> [EventBatch] {
        let hourAgo = PushClock.system.nowSeconds() - 3600
        let users = try (0..<65_536).map { n in
            EventUser(customID: try LogField("user-\(n)", field: "custom ID"),
                      installationID: try LogField(String(format: "%08x-5a1e-4c1b-9d2e-%012x", n, n * 7919), field: "installation ID"))
        }
        let campaign: LogField = "c9f8a7d6e5b4c3a2f1e0d9c8b7a6f5e4"
        let transactional: LogField = "t1a2b3c4d5e6f708192a3b4c5d6e7f80"
        let group: LogField = "welcome-series"
        var batches: [EventBatch] = []
        var records: [EventRecord] = []
        records.reserveCapacity(1024)
        for n in 0..<lines {
            let time = try EventTime(secondsSinceEpoch: hourAgo + Int64(n % 3600))
            let user = users[n & 0xFFFF]
            let record: EventRecord
            switch n % 20 {
            case 0..<12: record = .push(.sent, at: time, user: user, source: .campaign(token: campaign))
            case 12..<15: record = .push(.sent, at: time, user: user, source: .transactional(token: transactional, groupID: group))
            case 15: record = .push(.opened, at: time, user: user, source: .campaign(token: campaign))
            case 16: record = .push(.error, at: time, user: user, source: .campaign(token: campaign))
            case 17: record = .subscription(.optIn, at: time, user: user)
            case 18: record = .inApp(.shown, at: time, user: user, campaign: campaign)
            default: record = .inApp(.clicked(position: 1, action: "batch.deeplink"), at: time, user: user, campaign: campaign)
            }
            records.append(record)
            if records.count == 1024 {
                batches.append(EventBatch(app: app, platform: .iOS, records: records))
                records.removeAll(keepingCapacity: true)
            }
        }
        if !records.isEmpty { batches.append(EventBatch(app: app, platform: .iOS, records: records)) }
        return batches
    }

    /// The spill path: one producer appends the batches, the writer thread formats and
    /// writes; timed until `flush()` returns (everything written and fsynced).
    static func runEventLog(_ batches: [EventBatch], directory: String) throws -> Timing {
        try? FileManager.default.removeItem(atPath: directory)
        let writer = try EventLogWriter(
            configuration: EventLogConfiguration(spoolDirectory: directory + "/spool"),
            sink: LocalDirectorySink(directory: directory + "/out"))
        let start = monotonicNanoseconds()
        for batch in batches { try writer.append(batch) }
        try writer.flush(sync: false)
        let written = seconds(since: start)
        try writer.flush(sync: true)
        let durable = seconds(since: start)
        try writer.shutdown()
        return Timing(writtenSeconds: written, durableSeconds: durable)
    }

    /// The baseline: `String` interpolation per line and one `FileHandle.write` per line,
    /// to the same two files (push and in-app), fsynced at the end.
    static func runBaseline(_ batches: [EventBatch], directory: String) throws -> Timing {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pushPath = directory + "/push.csv"
        let inAppPath = directory + "/inapp.csv"
        _ = FileManager.default.createFile(atPath: pushPath, contents: nil)
        _ = FileManager.default.createFile(atPath: inAppPath, contents: Data("user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3\n".utf8))
        let push = try FileHandle(forWritingTo: URL(fileURLWithPath: pushPath))
        let inApp = try FileHandle(forWritingTo: URL(fileURLWithPath: inAppPath))
        try inApp.seekToEnd()
        let start = monotonicNanoseconds()
        for batch in batches {
            for r in batch.records {
                if r.kind.file == .inAppEvents {
                    let position = r.ctaPosition.map { "\($0)" } ?? ""
                    let line = "\(r.user.customID);\(r.user.installationID);\(r.time);\(r.kind.rawValue);\(r.token);\(position);\(r.ctaAction)\n"
                    try inApp.write(contentsOf: Data(line.utf8))
                } else {
                    let source: String
                    switch r.source {
                    case .none: source = ""
                    case .campaign: source = "campaign"
                    case .transactional: source = "transactional"
                    }
                    let line = "\(r.user.customID);\(r.user.installationID);\(r.time);\(r.kind.rawValue);\(source);\(r.token);\(r.groupID)\n"
                    try push.write(contentsOf: Data(line.utf8))
                }
            }
        }
        let written = seconds(since: start)
        try push.synchronize()
        try inApp.synchronize()
        let durable = seconds(since: start)
        try push.close()
        try inApp.close()
        return Timing(writtenSeconds: written, durableSeconds: durable)
    }
}
