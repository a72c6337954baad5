import Dispatch
import Foundation
import Synchronization
import Testing
import PushModel
@testable import EventLog

@Suite struct EventLogWriterTests {
    let directory = TemporaryDirectory()
    var spool: String { directory.path + "/spool" }
    var out: String { directory.path + "/out" }
    let user = Reference.user
    let pushName = "APPNAME-events_BATCH-API-KEY@IOS_2017-07-24.csv"
    let inAppName = "APPNAME-InAppevents_BATCH-API-KEY@IOS_2017-07-24.csv"

    func makeWriter(clock: ManualClock, fileSystem: any SpoolFileSystem = POSIXFileSystem(),
                    queueCapacity: Int = 1024, flush: EventLogConfiguration.FlushPolicy = .init()) throws -> EventLogWriter {
        let configuration = EventLogConfiguration(spoolDirectory: spool, queueCapacity: queueCapacity, flush: flush,
                                                  retryInterval: .seconds(3600))
        return try EventLogWriter(configuration: configuration, sink: try LocalDirectorySink(directory: out),
                                  clock: clock.clock, fileSystem: fileSystem)
    }

    func sent(_ time: String) -> EventRecord { .push(.sent, at: at(time), user: user, source: Reference.campaign) }

    func batch(_ records: [EventRecord], platform: Platform = .iOS, app: ExportApp = Reference.app) -> EventBatch {
        EventBatch(app: app, platform: platform, records: records)
    }

    func line(_ time: String, _ event: String = "push_sent;campaign;CAMPAIGN_TOKEN;") -> String {
        "CUSTOM_USER_ID;BATCH_INSTALLATION_ID;\(time);\(event)\n"
    }

    @Test func writesPartialFilesAndPublishesOnlyAfterTheDayPlusGrace() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let writer = try makeWriter(clock: clock)
        try writer.append(batch([sent("2017-07-24T09:00:00"), .subscription(.optIn, at: at("2017-07-24T09:00:01"), user: user)]))
        try writer.flush()
        #expect(directory.names("out").isEmpty)
        #expect(directory.contents("spool/\(pushName).partial")
            == line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01", "push_optin;;;"))

        clock.set("2017-07-25T01:59:59") // day over, grace (2 h) not yet
        try writer.flush()
        #expect(directory.names("out").isEmpty)

        clock.set("2017-07-25T02:00:00")
        try writer.flush()
        #expect(directory.names("out") == [pushName])
        #expect(directory.contents("out/\(pushName)") == line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01", "push_optin;;;"))
        #expect(!directory.names("spool").contains("\(pushName).partial"))
        #expect(writer.status.filesPublished == 1)
        try writer.shutdown()
    }

    @Test func midnightRolloverAndLateEventsGoToTheirOwnDay() throws {
        let clock = ManualClock("2017-07-24T23:59:59")
        let writer = try makeWriter(clock: clock)
        try writer.append(batch([sent("2017-07-24T23:59:59")]))
        try writer.flush()
        clock.set("2017-07-25T00:00:00")
        try writer.append(batch([sent("2017-07-25T00:00:00")]))
        try writer.flush()
        clock.set("2017-07-25T01:30:00")
        // A late event of the 24th, arriving after midnight but within grace, mixed with today's.
        try writer.append(batch([sent("2017-07-25T01:29:00"), sent("2017-07-24T12:00:00")]))
        try writer.flush()
        let today = "APPNAME-events_BATCH-API-KEY@IOS_2017-07-25.csv"
        #expect(directory.contents("spool/\(pushName).partial") == line("2017-07-24T23:59:59") + line("2017-07-24T12:00:00"))
        #expect(directory.contents("spool/\(today).partial") == line("2017-07-25T00:00:00") + line("2017-07-25T01:29:00"))

        clock.set("2017-07-25T02:00:00")
        try writer.flush()
        #expect(directory.names("out") == [pushName])
        #expect(directory.names("spool") == ["\(today).partial"])
        try writer.shutdown()
    }

    @Test func eventsAfterPublicationAreAppendedOneGracePeriodLater() throws {
        let clock = ManualClock("2017-07-24T10:00:00")
        let writer = try makeWriter(clock: clock)
        try writer.append(batch([sent("2017-07-24T10:00:00")]))
        try writer.flush()
        clock.set("2017-07-25T02:00:00")
        try writer.flush()
        #expect(directory.contents("out/\(pushName)") == line("2017-07-24T10:00:00"))

        clock.set("2017-07-25T03:00:00")
        try writer.append(batch([sent("2017-07-24T23:00:00")]))
        try writer.flush()
        #expect(directory.contents("out/\(pushName)") == line("2017-07-24T10:00:00"), "held for one grace period")
        clock.set("2017-07-25T05:00:00")
        try writer.flush()
        #expect(directory.contents("out/\(pushName)") == line("2017-07-24T10:00:00") + line("2017-07-24T23:00:00"))
        try writer.shutdown()
    }

    @Test func inAppFilesStartWithTheHeaderExactlyOnceAcrossRestarts() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let clicked = EventRecord.inApp(.clicked(position: 0, action: "batch.CustomAction"), at: at("2017-07-24T09:00:00"),
                                        user: user, campaign: "CAMPAIGN_TOKEN")
        var writer = try makeWriter(clock: clock)
        try writer.append(batch([clicked, sent("2017-07-24T09:00:00")]))
        try writer.shutdown()
        writer = try makeWriter(clock: clock)
        try writer.append(batch([.inApp(.closed, at: at("2017-07-24T09:00:01"), user: user, campaign: "CAMPAIGN_TOKEN")]))
        try writer.flush()
        clock.set("2017-07-25T02:00:00")
        try writer.flush()
        #expect(directory.contents("out/\(inAppName)") == ExportKind.inAppEvents.header!
            + line("2017-07-24T09:00:00", "inapp_clicked;CAMPAIGN_TOKEN;0;batch.CustomAction")
            + line("2017-07-24T09:00:01", "inapp_closed;CAMPAIGN_TOKEN;;"))
        #expect(directory.contents("out/\(pushName)") == line("2017-07-24T09:00:00"))
        try writer.shutdown()
    }

    @Test func filesAreSeparatedByAppAndPlatformAndUseTheAppsIdentifierColumn() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let writer = try makeWriter(clock: clock)
        let other = try ExportApp(name: "Other", apiKey: "K2", identifierColumn: .advertisingID)
        try writer.append(batch([sent("2017-07-24T09:00:00")], platform: .android))
        try writer.append(batch([sent("2017-07-24T09:00:00")], app: other))
        try writer.flush()
        clock.set("2017-07-25T02:00:00")
        try writer.flush()
        #expect(directory.names("out") == ["APPNAME-events_BATCH-API-KEY@ANDROID_2017-07-24.csv", "Other-events_K2@IOS_2017-07-24.csv"])
        #expect(directory.contents("out/Other-events_K2@IOS_2017-07-24.csv")
            == "CUSTOM_USER_ID;ADVERTISING_ID;2017-07-24T09:00:00;push_sent;campaign;CAMPAIGN_TOKEN;\n")
        try writer.shutdown()
    }

    @Test func diskFullStopsAcceptingKeepsEveryLineAndResumes() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let fileSystem = FaultyFileSystem()
        let writer = try makeWriter(clock: clock, fileSystem: fileSystem)
        try writer.append(batch([sent("2017-07-24T09:00:00")]))
        try writer.flush()
        // The disk fills in the middle of a buffer: 10 bytes get out, then ENOSPC.
        fileSystem.update { $0.shortWriteLimit = 10; $0.writeErrno = ENOSPC }
        try writer.append(batch([sent("2017-07-24T09:00:01"), sent("2017-07-24T09:00:02")]))
        #expect(throws: EventLogError.diskFull(path: "\(spool)/\(pushName).partial")) { try writer.flush() }
        #expect(throws: EventLogError.notAccepting(cause: .diskFull(path: "\(spool)/\(pushName).partial"))) {
            try writer.append(batch([sent("2017-07-24T09:00:03")]))
        }
        #expect(writer.status.isAccepting == false)
        #expect(writer.status.refusal == .diskFull(path: "\(spool)/\(pushName).partial"))

        fileSystem.update { $0.writeErrno = nil }
        try writer.flush()
        #expect(writer.status.isAccepting)
        try writer.append(batch([sent("2017-07-24T09:00:03")]))
        try writer.flush()
        #expect(directory.contents("spool/\(pushName).partial")
            == line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01") + line("2017-07-24T09:00:02") + line("2017-07-24T09:00:03"))
        try writer.shutdown()
    }

    @Test func permissionDeniedIsATypedErrorAndTheWriterResumes() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let fileSystem = FaultyFileSystem()
        fileSystem.update { $0.openErrno = EACCES }
        let writer = try makeWriter(clock: clock, fileSystem: fileSystem)
        try writer.append(batch([sent("2017-07-24T09:00:00")]))
        #expect(throws: EventLogError.permissionDenied(path: "\(spool)/\(pushName).partial")) { try writer.flush() }
        #expect(throws: EventLogError.notAccepting(cause: .permissionDenied(path: "\(spool)/\(pushName).partial"))) {
            try writer.append(batch([sent("2017-07-24T09:00:01")]))
        }
        fileSystem.update { $0.openErrno = nil }
        try writer.flush()
        try writer.append(batch([sent("2017-07-24T09:00:01")]))
        try writer.flush()
        #expect(directory.contents("spool/\(pushName).partial") == line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01"))
        try writer.shutdown()
    }

    @Test func syncPolicyControlsFsyncOnFlushRolloverAndShutdown() throws {
        let clock = ManualClock("2017-07-24T23:00:00")
        let fileSystem = FaultyFileSystem()
        let policy = EventLogConfiguration.FlushPolicy(interval: .seconds(3600), syncOnInterval: false,
                                                       syncOnRollover: true, syncOnShutdown: false)
        let writer = try makeWriter(clock: clock, fileSystem: fileSystem, flush: policy)
        try writer.append(batch([sent("2017-07-24T23:00:00")]))
        try writer.flush(sync: false)
        #expect(fileSystem.syncCount == 0)
        #expect(directory.contents("spool/\(pushName).partial") == line("2017-07-24T23:00:00"))

        try writer.append(batch([sent("2017-07-24T23:30:00")]))
        clock.set("2017-07-25T00:00:01")
        try writer.flush(sync: false)
        #expect(fileSystem.syncCount == 1, "the 24th's file is synced when the clock passes midnight")

        try writer.append(batch([sent("2017-07-25T00:00:01")]))
        try writer.flush(sync: false)
        try writer.shutdown()
        #expect(fileSystem.syncCount == 1, "no sync on shutdown with this policy")
        #expect(directory.contents("spool/APPNAME-events_BATCH-API-KEY@IOS_2017-07-25.csv.partial") == line("2017-07-25T00:00:01"))
    }

    @Test func tornPartialFilesAreRepairedAndReportedAtStart() throws {
        let clock = ManualClock("2017-07-24T12:00:00")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        // What a kill -9 in the middle of a write leaves: complete lines, then half a line.
        directory.write("spool/\(pushName).partial", line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01") + "CUSTOM_USER_ID;BATCH_INS")
        let writer = try makeWriter(clock: clock)
        #expect(writer.repairs.count == 1)
        #expect(writer.repairs.first?.removedByteCount == "CUSTOM_USER_ID;BATCH_INS".utf8.count)
        #expect(writer.status.repairs == writer.repairs)
        try writer.append(batch([sent("2017-07-24T11:00:00")]))
        try writer.flush()
        #expect(directory.contents("spool/\(pushName).partial")
            == line("2017-07-24T09:00:00") + line("2017-07-24T09:00:01") + line("2017-07-24T11:00:00"))
        try writer.shutdown()
    }

    @Test func recoveredFilesPastGraceArePublishedAtStartWithoutNewEvents() throws {
        let clock = ManualClock("2017-07-26T00:00:00")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        directory.write("spool/\(inAppName).partial", ExportKind.inAppEvents.header! + "u;i;2017-07-24T09:00:00;inapp_shown;C;;\nu;i;2017-07-24T09:")
        directory.write("spool/\(pushName).partial", "CUSTOM_USER_ID;BATCH_INS") // nothing complete: removed
        let writer = try makeWriter(clock: clock)
        try writer.flush()
        #expect(writer.repairs.count == 2)
        #expect(directory.names("out") == [inAppName])
        #expect(directory.contents("out/\(inAppName)") == ExportKind.inAppEvents.header! + "u;i;2017-07-24T09:00:00;inapp_shown;C;;\n")
        #expect(directory.names("spool").isEmpty)
        try writer.shutdown()
    }

    @Test func aFullQueueAppliesBackPressureAndNothingIsDropped() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let fileSystem = FaultyFileSystem()
        let policy = EventLogConfiguration.FlushPolicy(bufferByteCount: 1) // one write(2) per line
        let writer = try makeWriter(clock: clock, fileSystem: fileSystem, queueCapacity: 4, flush: policy)
        // The disk stalls inside the writer's first write: the writer holds batch A.
        fileSystem.update { $0.holdNextWrite = true }
        try writer.append(batch([sent("2017-07-24T09:00:00")]))
        fileSystem.writeEntered.wait()

        let b = (1...4).map { sent("2017-07-24T09:00:0\($0)") }
        #expect(try writer.tryAppend(batch(b)), "fits the capacity of 4 records")
        #expect(try writer.tryAppend(batch([sent("2017-07-24T09:00:05")])) == false, "the queue is full")
        #expect(writer.queuedRecordCount == 4)

        fileSystem.releaseWrite.signal()
        try writer.append(batch([sent("2017-07-24T09:00:05")])) // blocks until the writer has taken B
        try writer.flush()
        let expected = (0...5).map { line("2017-07-24T09:00:0\($0)") }.joined()
        #expect(directory.contents("spool/\(pushName).partial") == expected)
        try writer.shutdown()
    }

    @Test func aBatchLargerThanTheQueueIsAdmittedWhenTheQueueIsEmpty() throws {
        let writer = try makeWriter(clock: ManualClock("2017-07-24T09:00:00"), queueCapacity: 2)
        let records = (0..<10).map { sent("2017-07-24T09:00:0\($0)") }
        try writer.append(batch(records))
        try writer.flush()
        #expect(directory.contents("spool/\(pushName).partial") == (0..<10).map { line("2017-07-24T09:00:0\($0)") }.joined())
        try writer.shutdown()
    }

    @Test func concurrentProducersLoseAndDoubleNothing() throws {
        let clock = ManualClock("2017-07-24T09:00:00")
        let writer = try makeWriter(clock: clock, queueCapacity: 64, flush: .init(bufferByteCount: 4096))
        let producers = 4
        let batchesPerProducer = 50
        let recordsPerBatch = 20
        let failures = Mutex(0)
        let app = Reference.app
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for b in 0..<batchesPerProducer {
                let records = (0..<recordsPerBatch).map { r in
                    EventRecord.subscription(.optIn, at: at("2017-07-24T09:00:00"),
                                             user: EventUser(customID: try! LogField("p\(producer)-b\(b)-r\(r)", field: "c"), installationID: "I"))
                }
                do {
                    try writer.append(EventBatch(app: app, platform: .iOS, records: records))
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        try writer.flush()
        #expect(failures.withLock { $0 } == 0)
        let lines = try #require(directory.contents("spool/\(pushName).partial")).split(separator: "\n")
        #expect(lines.count == producers * batchesPerProducer * recordsPerBatch)
        #expect(Set(lines).count == lines.count, "no line written twice")
        try writer.shutdown()
    }

    @Test func appendAfterShutdownThrows() throws {
        let writer = try makeWriter(clock: ManualClock("2017-07-24T09:00:00"))
        try writer.shutdown()
        try writer.shutdown()
        #expect(throws: EventLogError.shutDown) { try writer.append(batch([sent("2017-07-24T09:00:00")])) }
    }
}
