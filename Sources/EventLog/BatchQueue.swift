import PushSync

/// The bounded hand-off between producers and the writer thread, plus the writer's
/// "stop accepting" state and the flush barrier.
///
/// Producers block in ``push(_:)`` while the queue holds ``capacity`` records (back-pressure:
/// sends slow down, nothing is dropped). The writer takes everything queued at once.
/// A batch larger than the capacity is admitted when the queue is empty, so it cannot wait
/// forever.
///
/// One ``ConditionLock`` serves the three waits (room for producers, work for the writer, a
/// completed flush); every waiter re-checks its own condition, so state changes broadcast.
///
/// `@unchecked Sendable`: every stored `var` is read and written only inside `lock.withLock`.
final class BatchQueue: @unchecked Sendable {
    let capacity: Int

    private let lock = ConditionLock()

    private var batches: [EventBatch] = []
    private var queuedRecords = 0
    private var refusal: EventLogError?
    private var shutdownRequested = false
    private var writerExited = false
    private var flushRequested: UInt64 = 0
    private var syncRequested: UInt64 = 0
    private var flushCompleted: UInt64 = 0
    private var flushError: EventLogError?

    /// What the writer takes in one go.
    struct Work {
        var batches: [EventBatch]
        /// The flush ticket to complete after this work is written (0: none).
        var flushTicket: UInt64
        /// The highest ticket whose caller also wants the files synced.
        var syncTicket: UInt64
        var shutdown: Bool
    }

    init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
    }

    @inline(__always)
    private func locked<T>(_ body: () throws(EventLogError) -> T) throws(EventLogError) -> T {
        try lock.withLock(body)
    }

    // MARK: Producers

    /// Enqueues `batch`, blocking while the queue is full.
    /// - Throws: ``EventLogError/notAccepting(cause:)`` while the writer cannot write,
    ///   ``EventLogError/shutDown`` after shutdown.
    func push(_ batch: EventBatch) throws(EventLogError) {
        let count = batch.records.count
        try locked { () throws(EventLogError) in
            while true {
                if shutdownRequested { throw .shutDown }
                if let refusal { throw .notAccepting(cause: refusal) }
                if queuedRecords == 0 || queuedRecords + count <= capacity { break }
                lock.wait()
            }
            batches.append(batch)
            queuedRecords += count
            lock.broadcast()
        }
    }

    /// Enqueues `batch` only if it fits now; returns false when full.
    func tryPush(_ batch: EventBatch) throws(EventLogError) -> Bool {
        let count = batch.records.count
        return try locked { () throws(EventLogError) -> Bool in
            if shutdownRequested { throw .shutDown }
            if let refusal { throw .notAccepting(cause: refusal) }
            guard queuedRecords == 0 || queuedRecords + count <= capacity else { return false }
            batches.append(batch)
            queuedRecords += count
            lock.broadcast()
            return true
        }
    }

    /// Waits until the writer has written everything queued before this call.
    /// - Throws: the writer's error when it could not write everything.
    func flush(sync: Bool) throws(EventLogError) {
        try locked { () throws(EventLogError) in
            if writerExited { throw .shutDown }
            flushRequested += 1
            let ticket = flushRequested
            if sync { syncRequested = ticket }
            lock.broadcast()
            while flushCompleted < ticket && !writerExited {
                lock.wait()
            }
            if flushCompleted < ticket { throw .shutDown }
            if let flushError { throw flushError }
        }
    }

    /// Records queued and not yet taken by the writer.
    var queuedRecordCount: Int { (try? locked { queuedRecords }) ?? 0 }

    // MARK: Writer

    /// Takes everything queued, waiting up to `timeout` for something to do.
    func take(timeout: Duration) -> Work {
        (try? locked { () -> Work in
            if batches.isEmpty && !shutdownRequested && flushRequested == flushCompleted {
                lock.wait(untilNanoseconds: monotonicNanoseconds() &+ timeout.wholeNanoseconds)
            }
            let work = Work(batches: batches, flushTicket: flushRequested, syncTicket: syncRequested, shutdown: shutdownRequested)
            batches = []
            queuedRecords = 0
            lock.broadcast()
            return work
        }) ?? Work(batches: [], flushTicket: 0, syncTicket: 0, shutdown: false)
    }

    /// Sets (or clears, with nil) the reason producers are refused; wakes blocked producers.
    func setRefusal(_ error: EventLogError?) {
        _ = try? locked {
            refusal = error
            lock.broadcast()
        }
    }

    /// Marks flush tickets up to `ticket` complete, with the writer's current error.
    func completeFlush(upTo ticket: UInt64, error: EventLogError?) {
        _ = try? locked {
            if ticket > flushCompleted { flushCompleted = ticket }
            flushError = error
            lock.broadcast()
        }
    }

    /// Asks the writer to finish; later pushes throw ``EventLogError/shutDown``.
    func requestShutdown() {
        _ = try? locked {
            shutdownRequested = true
            lock.broadcast()
        }
    }

    /// Called by the writer thread as it exits; releases anyone waiting on a flush.
    func markWriterExited() {
        _ = try? locked {
            writerExited = true
            lock.broadcast()
        }
    }
}
