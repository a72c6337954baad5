/// How the event log writes, syncs and publishes.
public struct EventLogConfiguration: Sendable {
    /// When buffered lines reach the disk and when they are made durable.
    public struct FlushPolicy: Sendable, Hashable {
        /// Buffers are written at least this often (real time), even when not full.
        public var interval: Duration
        /// `fsync` every file after each interval's write.
        public var syncOnInterval: Bool
        /// `fsync` a day's files when the clock passes midnight (they stop growing, bar late events).
        public var syncOnRollover: Bool
        /// `fsync` every file on ``EventLogWriter/shutdown()``.
        public var syncOnShutdown: Bool
        /// A day file's buffer is written when it holds this many bytes.
        public var bufferByteCount: Int

        /// Defaults: write every second, sync on rollover and shutdown, 512 KiB buffers.
        /// Files are always synced before they are published, whatever the policy.
        public init(interval: Duration = .seconds(1), syncOnInterval: Bool = false, syncOnRollover: Bool = true,
                    syncOnShutdown: Bool = true, bufferByteCount: Int = 512 * 1024) {
            self.interval = interval
            self.syncOnInterval = syncOnInterval
            self.syncOnRollover = syncOnRollover
            self.syncOnShutdown = syncOnShutdown
            self.bufferByteCount = bufferByteCount
        }
    }

    /// Where partial files are written (`NAME.csv.partial`); it must survive restarts.
    public var spoolDirectory: String
    /// How long after a UTC day ends its files are published (the reference: 2 hours).
    public var grace: Duration
    /// How many records may wait in the queue before producers block (back-pressure).
    public var queueCapacity: Int
    /// When and how the writer writes and syncs.
    public var flush: FlushPolicy
    /// While the disk refuses writes, how often the writer tries again (real time).
    public var retryInterval: Duration

    /// A configuration with the reference's 2-hour grace period.
    public init(spoolDirectory: String, grace: Duration = .seconds(2 * 3600), queueCapacity: Int = 262_144,
                flush: FlushPolicy = FlushPolicy(), retryInterval: Duration = .seconds(1)) {
        self.spoolDirectory = spoolDirectory
        self.grace = grace
        self.queueCapacity = queueCapacity
        self.flush = flush
        self.retryInterval = retryInterval
    }

    var graceSeconds: Int64 { grace.components.seconds }
}
