import PushModel
import PushSync

/// The writer thread's state: open day files, routing, flushing, rollover and publication.
///
/// Only the writer thread touches an instance once ``run()`` starts (before that, only the
/// thread that creates it); it is handed over to the thread `PushThread.start` starts, never shared.
final class EventLogCore {
    struct DayFileKey: Hashable {
        let app: ExportApp
        let platform: Platform
        let kind: ExportKind
        let day: Int64
    }

    let configuration: EventLogConfiguration
    let clock: PushClock
    let sink: any EventFileSink
    let fileSystem: any SpoolFileSystem
    let queue: BatchQueue
    let status: EventLogStatusBox

    private var files: [DayFileKey: DayFile] = [:]
    /// Partial files found at start-up, by final name, until an event adopts them or they are published.
    private var recovered: [String: DayFile]
    private var refusal: EventLogError?
    private var publishError: EventLogError?
    // Monotonic nanoseconds (`monotonicNanoseconds()`).
    private var lastPublishFailure = monotonicNanoseconds()
    private var lastSeenDay: UTCDay
    private var lastIntervalWrite = monotonicNanoseconds()
    private var lastRetry = monotonicNanoseconds()
    private var linesFormatted: UInt64 = 0
    private var filesPublished = 0

    init(configuration: EventLogConfiguration, clock: PushClock, sink: any EventFileSink,
         fileSystem: any SpoolFileSystem, queue: BatchQueue, status: EventLogStatusBox, recovered: [DayFile]) {
        self.configuration = configuration
        self.clock = clock
        self.sink = sink
        self.fileSystem = fileSystem
        self.queue = queue
        self.status = status
        for file in recovered { file.publishAt = file.day.end.secondsSinceEpoch + configuration.graceSeconds }
        self.recovered = Dictionary(recovered.map { ($0.finalName, $0) }, uniquingKeysWith: { first, _ in first })
        self.lastSeenDay = EventTime(unchecked: clock.nowSeconds()).day
    }

    /// The writer thread's loop; returns after shutdown.
    func run() {
        let flush = configuration.flush
        var completedTicket: UInt64 = 0
        while true {
            let wait = min(flush.interval, configuration.retryInterval, .seconds(1))
            let work = queue.take(timeout: wait)
            for batch in work.batches { format(batch) }

            let forced = work.flushTicket > completedTicket || work.shutdown
            let syncRequested = work.syncTicket > completedTicket
            let now = monotonicNanoseconds()
            if refusal != nil {
                if forced || now &- lastRetry >= configuration.retryInterval.wholeNanoseconds {
                    lastRetry = now
                    writeAll(sync: syncRequested)
                }
            } else if forced || now &- lastIntervalWrite >= flush.interval.wholeNanoseconds {
                lastIntervalWrite = now
                writeAll(sync: syncRequested || (work.shutdown ? flush.syncOnShutdown : flush.syncOnInterval))
            }
            rolloverAndPublish(forced: forced)
            if work.shutdown { closeAll() }
            publishStatus(accepting: !work.shutdown)
            if work.flushTicket > completedTicket {
                completedTicket = work.flushTicket
                queue.completeFlush(upTo: completedTicket, error: refusal)
            }
            if work.shutdown { return }
        }
    }

    // MARK: Formatting

    private func format(_ batch: EventBatch) {
        let threshold = configuration.flush.bufferByteCount
        let identifier = batch.app.identifierColumn
        var currentKind = ExportKind.userbase
        var currentDay: Int64 = -1
        var file: DayFile?
        batch.records.withUnsafeBufferPointer { records in
            for index in records.indices {
                let kind = records[index].kind.file
                let day = records[index].time.secondsSinceEpoch / 86_400
                if kind != currentKind || day != currentDay || file == nil {
                    file = dayFile(DayFileKey(app: batch.app, platform: batch.platform, kind: kind, day: day))
                    currentKind = kind
                    currentDay = day
                }
                let target = file.unsafelyUnwrapped
                EventLineFormatter.append(records[index], identifier: identifier,
                                          datePrefix: UnsafeRawBufferPointer(target.datePrefix), to: target.buffer)
                if target.buffer.pendingCount >= threshold && refusal == nil {
                    write(target)
                }
            }
        }
        linesFormatted &+= UInt64(batch.records.count)
    }

    private func dayFile(_ key: DayFileKey) -> DayFile {
        if let file = files[key] { return file }
        let day = UTCDay(unchecked: key.day)
        let finalName = ExportFileName(app: key.app, kind: key.kind, platform: key.platform, day: day).description
        let file: DayFile
        if let adopted = recovered.removeValue(forKey: finalName) {
            file = adopted
        } else {
            file = DayFile(finalName: finalName,
                           path: configuration.spoolDirectory + "/" + finalName + ExportFileName.partialSuffix,
                           day: day, header: key.kind == .inAppEvents ? EventLogCore.inAppHeader : nil,
                           headerByteCount: 0, bufferByteCount: configuration.flush.bufferByteCount)
            let grace = configuration.graceSeconds
            let now = clock.nowSeconds()
            file.publishAt = day.end.secondsSinceEpoch + grace
            if file.publishAt <= now { file.publishAt = now + grace }
        }
        files[key] = file
        return file
    }

    static let inAppHeader: StaticString = "user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3\n"

    // MARK: Writing

    private func write(_ file: DayFile) {
        do {
            try file.drain(fileSystem)
        } catch {
            refuse(error)
        }
    }

    /// Writes (and optionally syncs) every file; clears the refusal when all succeed.
    private func writeAll(sync: Bool) {
        do {
            for file in allFiles {
                try file.drain(fileSystem)
                if sync { try file.sync(fileSystem) }
            }
            if refusal != nil {
                refusal = nil
                queue.setRefusal(nil)
            }
        } catch {
            refuse(error)
        }
    }

    private func refuse(_ error: EventLogError) {
        if refusal != error { queue.setRefusal(error) }
        refusal = error
        lastRetry = monotonicNanoseconds()
    }

    private var allFiles: [DayFile] { Array(files.values) + Array(recovered.values) }

    // MARK: Days

    private func rolloverAndPublish(forced: Bool) {
        let now = EventTime(unchecked: clock.nowSeconds())
        let today = now.day
        if today > lastSeenDay {
            do {
                for file in allFiles where file.day < today {
                    try file.drain(fileSystem)
                    if configuration.flush.syncOnRollover { try file.sync(fileSystem) }
                }
                lastSeenDay = today
            } catch {
                refuse(error)
            }
        }
        if publishError != nil && !forced && monotonicNanoseconds() &- lastPublishFailure < configuration.retryInterval.wholeNanoseconds {
            return
        }
        for (key, file) in files where file.publishAt <= now.secondsSinceEpoch {
            if publish(file) { files.removeValue(forKey: key) }
        }
        for (name, file) in recovered where file.publishAt <= now.secondsSinceEpoch {
            if publish(file) { recovered.removeValue(forKey: name) }
        }
    }

    /// Closes a day file and hands it to the sink; false when either step failed.
    private func publish(_ file: DayFile) -> Bool {
        do {
            try file.close(fileSystem)
        } catch {
            refuse(error)
            return false
        }
        do {
            try sink.publish(CompletedFile(name: file.finalName, spoolPath: file.path,
                                           disposition: .appendToExisting(headerByteCount: file.headerByteCount)))
            filesPublished += 1
            publishError = nil
            return true
        } catch {
            publishError = error
            lastPublishFailure = monotonicNanoseconds()
            return false
        }
    }

    private func closeAll() {
        for file in allFiles {
            do {
                try file.drain(fileSystem)
                if configuration.flush.syncOnShutdown { try file.sync(fileSystem) }
            } catch {
                refuse(error)
            }
            file.abandon(fileSystem)
        }
    }

    private func publishStatus(accepting: Bool) {
        let snapshot = (refusal, linesFormatted, filesPublished, publishError, files.count + recovered.count)
        status.withLock { status in
            status.isAccepting = accepting && snapshot.0 == nil
            status.refusal = snapshot.0
            status.linesFormatted = snapshot.1
            status.filesPublished = snapshot.2
            status.publishError = snapshot.3
            status.pendingDayFiles = snapshot.4
        }
    }
}
