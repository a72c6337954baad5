#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import PushModel
import PushSync
import Synchronization

/// The event log: producers append batches, one writer thread turns them into daily CSV
/// files in the reference formats and publishes each day's files once the day is over plus
/// the grace period.
///
/// **Spill path.** ``append(_:)`` puts a batch on a bounded queue (one lock per batch, no
/// system call). The writer thread takes everything queued at once, formats each line into
/// its day file's large buffer and writes a buffer with one `write(2)` when it fills, on the
/// flush interval, on ``flush()`` and on shutdown. When the disk is slower than producers the
/// queue fills and ``append(_:)`` blocks: sends slow down, no event is dropped.
///
/// **Days.** A line goes to the file of its app, platform, kind (push or in-app) and the UTC
/// day of the event's own time, so a late event lands in its own day's file. Files are
/// written as `NAME.csv.partial` in ``EventLogConfiguration/spoolDirectory`` and handed to the
/// ``EventFileSink`` under their final name once `day end + grace <= now` (the injected
/// ``PushClock``). An event that arrives after its day was published starts a new partial
/// file for that day; the sink appends its lines to the published file (see
/// ``CompletedFile/Disposition/appendToExisting(headerByteCount:)``). Days with no event
/// produce no file.
///
/// **Crashes.** At start-up every partial file in the spool whose last byte is not LF has its
/// torn last line truncated (``TornLineRepair``, listed in ``status``); lines in memory at
/// the moment of a `kill -9` (at most one flush interval's worth) are lost, nothing on disk
/// is lost or doubled. Partial files whose day is past grace are then published.
///
/// **Bad conditions.** When `open`, `write` or `fsync` fails (disk full, permission denied),
/// the writer keeps every formatted byte in memory, ``append(_:)`` throws
/// ``EventLogError/notAccepting(cause:)`` so the engine stops accepting sends, and the writer
/// retries every ``EventLogConfiguration/retryInterval``; once a write succeeds it accepts
/// again by itself.
///
/// Call ``append(_:)`` from threads that may block (delivery workers); from Swift concurrency
/// tasks prefer ``tryAppend(_:)`` and retry later when it returns false.
public final class EventLogWriter: Sendable {
    private let queue: BatchQueue
    private let statusBox: EventLogStatusBox
    private let thread: Mutex<PushThread?>
    /// What the start-up repair did (also in ``status``).
    public let repairs: [TornLineRepair]

    /// Recovers the spool directory (torn-line repair), then starts the writer thread.
    /// - Throws: ``EventLogError`` when the spool directory cannot be created, listed or repaired.
    public convenience init(configuration: EventLogConfiguration, sink: some EventFileSink,
                clock: PushClock = .system) throws(EventLogError) {
        try self.init(configuration: configuration, sink: sink, clock: clock, fileSystem: POSIXFileSystem())
    }

    init(configuration: EventLogConfiguration, sink: any EventFileSink, clock: PushClock,
         fileSystem: any SpoolFileSystem) throws(EventLogError) {
        let (recovered, repairs) = try EventLogWriter.recover(configuration: configuration, fileSystem: fileSystem)
        var initial = EventLogStatus.initial
        initial.repairs = repairs
        initial.pendingDayFiles = recovered.count
        self.repairs = repairs
        self.queue = BatchQueue(capacity: configuration.queueCapacity)
        self.statusBox = EventLogStatusBox(initial)
        let core = EventLogCore(configuration: configuration, clock: clock, sink: sink, fileSystem: fileSystem,
                                queue: queue, status: statusBox, recovered: recovered)
        self.thread = Mutex(nil)
        // `core` is not Sendable: it is handed to the writer thread and never touched here again.
        nonisolated(unsafe) let handedOver = core
        let handle = PushThread.start { handedOver.run() }
        thread.withLock { $0 = handle }
    }

    deinit {
        try? shutdown()
    }

    /// Hands `batch` to the writer, blocking while the queue is full (back-pressure).
    /// - Throws: ``EventLogError/notAccepting(cause:)`` while the disk refuses writes (nothing
    ///   of this batch was taken: retry it later), ``EventLogError/shutDown`` after ``shutdown()``.
    public func append(_ batch: EventBatch) throws(EventLogError) {
        guard !batch.records.isEmpty else { return }
        try queue.push(batch)
    }

    /// Hands `batch` to the writer if the queue has room now; false when it is full.
    /// - Throws: as ``append(_:)``.
    public func tryAppend(_ batch: EventBatch) throws(EventLogError) -> Bool {
        guard !batch.records.isEmpty else { return true }
        return try queue.tryPush(batch)
    }

    /// Waits until every batch appended before this call is written (and, with `sync`,
    /// fsynced), and the rollover and publication checks have run against the clock's
    /// current time.
    /// - Throws: the write error when the disk refuses (the lines stay in memory).
    public func flush(sync: Bool = true) throws(EventLogError) {
        try queue.flush(sync: sync)
    }

    /// Writes what is queued, syncs (per policy), publishes the days past grace, closes the
    /// files and stops the thread. Days not yet past grace stay partial for the next start.
    /// Idempotent.
    /// - Throws: the write error if the last lines could not be written.
    public func shutdown() throws(EventLogError) {
        let handle = thread.withLock { handle -> PushThread? in
            defer { handle = nil }
            return handle
        }
        guard let handle else { return }
        queue.requestShutdown()
        handle.join()
        queue.markWriterExited()
        if let refusal = statusBox.withLock({ $0.refusal }) { throw refusal }
    }

    /// A snapshot of the writer's state.
    public var status: EventLogStatus { statusBox.withLock { $0 } }

    /// Records waiting in the queue (not yet taken by the writer thread).
    public var queuedRecordCount: Int { queue.queuedRecordCount }

    // MARK: Start-up

    private static func recover(configuration: EventLogConfiguration,
                                fileSystem: any SpoolFileSystem) throws(EventLogError) -> ([DayFile], [TornLineRepair]) {
        let spool = configuration.spoolDirectory
        try fileSystem.makeDirectory(spool)
        var files: [DayFile] = []
        var repairs: [TornLineRepair] = []
        let header = Array(EventLogCore.inAppHeader.utf8Start.withMemoryRebound(
            to: UInt8.self, capacity: EventLogCore.inAppHeader.utf8CodeUnitCount) {
            UnsafeBufferPointer(start: $0, count: EventLogCore.inAppHeader.utf8CodeUnitCount)
        })
        for name in try fileSystem.list(spool) {
            guard let day = ExportFileName.day(ofPartialName: name) else { continue }
            let path = spool + "/" + name
            if let repair = try TornLineRepair.repair(path: path, fileSystem: fileSystem) { repairs.append(repair) }
            guard let size = try fileSystem.size(path), size > 0 else {
                try fileSystem.remove(path)
                continue
            }
            let start = try fileSystem.read(path, offset: 0, count: header.count)
            let finalName = String(name.dropLast(ExportFileName.partialSuffix.count))
            files.append(DayFile(finalName: finalName, path: path, day: day, header: nil,
                                 headerByteCount: start == header ? header.count : 0,
                                 bufferByteCount: configuration.flush.bufferByteCount))
        }
        return (files, repairs)
    }
}
