#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bounded hand-off between producers and the writer thread, plus the writer's
/// "stop accepting" state and the flush barrier.
///
/// Producers block in ``push(_:)`` while the queue holds ``capacity`` records (back-pressure:
/// sends slow down, nothing is dropped). The writer takes everything queued at once.
/// A batch larger than the capacity is admitted when the queue is empty, so it cannot wait
/// forever.
///
/// `@unchecked Sendable`: every stored `var` is read and written only while holding `mutex`
/// (a `pthread_mutex_t` at a stable heap address, used with the three condition variables).
final class BatchQueue: @unchecked Sendable {
    let capacity: Int

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let notEmpty: UnsafeMutablePointer<pthread_cond_t>
    private let notFull: UnsafeMutablePointer<pthread_cond_t>
    private let flushed: UnsafeMutablePointer<pthread_cond_t>

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
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        notEmpty = .allocate(capacity: 1)
        notFull = .allocate(capacity: 1)
        flushed = .allocate(capacity: 1)
        pthread_cond_init(notEmpty, &attributes)
        pthread_cond_init(notFull, &attributes)
        pthread_cond_init(flushed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(notEmpty)
        pthread_cond_destroy(notFull)
        pthread_cond_destroy(flushed)
        pthread_mutex_destroy(mutex)
        notEmpty.deallocate()
        notFull.deallocate()
        flushed.deallocate()
        mutex.deallocate()
    }

    @inline(__always)
    private func locked<T>(_ body: () throws(EventLogError) -> T) throws(EventLogError) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
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
                pthread_cond_wait(notFull, mutex)
            }
            batches.append(batch)
            queuedRecords += count
            pthread_cond_signal(notEmpty)
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
            pthread_cond_signal(notEmpty)
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
            pthread_cond_signal(notEmpty)
            while flushCompleted < ticket && !writerExited {
                pthread_cond_wait(flushed, mutex)
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
                var deadline = timespec()
                clock_gettime(CLOCK_MONOTONIC, &deadline)
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
                deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
                deadline.tv_nsec = nanoseconds % 1_000_000_000
                _ = pthread_cond_timedwait(notEmpty, mutex, &deadline)
            }
            let work = Work(batches: batches, flushTicket: flushRequested, syncTicket: syncRequested, shutdown: shutdownRequested)
            batches = []
            queuedRecords = 0
            pthread_cond_broadcast(notFull)
            return work
        }) ?? Work(batches: [], flushTicket: 0, syncTicket: 0, shutdown: false)
    }

    /// Sets (or clears, with nil) the reason producers are refused; wakes blocked producers.
    func setRefusal(_ error: EventLogError?) {
        _ = try? locked {
            refusal = error
            pthread_cond_broadcast(notFull)
        }
    }

    /// Marks flush tickets up to `ticket` complete, with the writer's current error.
    func completeFlush(upTo ticket: UInt64, error: EventLogError?) {
        _ = try? locked {
            if ticket > flushCompleted { flushCompleted = ticket }
            flushError = error
            pthread_cond_broadcast(flushed)
        }
    }

    /// Asks the writer to finish; later pushes throw ``EventLogError/shutDown``.
    func requestShutdown() {
        _ = try? locked {
            shutdownRequested = true
            pthread_cond_signal(notEmpty)
            pthread_cond_broadcast(notFull)
        }
    }

    /// Called by the writer thread as it exits; releases anyone waiting on a flush.
    func markWriterExited() {
        _ = try? locked {
            writerExited = true
            pthread_cond_broadcast(flushed)
            pthread_cond_broadcast(notFull)
        }
    }
}
