/// One partial file in the spool directory: the lines of one app, platform, kind and UTC day.
///
/// Owned by the writer thread. Lines are formatted into ``buffer`` and reach the file with
/// one `write(2)` per buffer; the file is opened lazily (so a refused `open` is retried
/// like a refused `write`) and closed before it is published.
final class DayFile {
    /// The published name (`…_YYYY-MM-DD.csv`).
    let finalName: String
    /// `spool/…_YYYY-MM-DD.csv.partial`.
    let path: String
    let day: UTCDay
    /// When the file is handed to the sink (seconds since the epoch, on the injected clock):
    /// the day's end plus grace, or, for late lines of a day already published, one grace
    /// period after the first of them arrived (so a trickle of late events costs one
    /// append to the published file per grace period, not one per flush).
    var publishAt: Int64
    /// The in-app header, written first when the file is empty; nil for push files.
    let header: StaticString?
    /// Bytes of header at the start of the file (for the sink's append disposition).
    var headerByteCount: Int
    /// `YYYY-MM-DDT` of ``day``.
    let datePrefix: UnsafeMutableRawBufferPointer
    let buffer: LineBuffer

    private(set) var fd: Int32?
    /// Bytes written to disk but not yet synced.
    private(set) var unsynced = false

    init(finalName: String, path: String, day: UTCDay, header: StaticString?, headerByteCount: Int, bufferByteCount: Int) {
        self.finalName = finalName
        self.path = path
        self.day = day
        self.publishAt = day.end.secondsSinceEpoch
        self.header = header
        self.headerByteCount = headerByteCount
        let prefix = EventLineFormatter.datePrefix(of: day)
        datePrefix = .allocate(byteCount: prefix.count, alignment: 1)
        datePrefix.copyBytes(from: prefix)
        buffer = LineBuffer(capacity: bufferByteCount + EventLineFormatter.maximumLineByteCount)
    }

    deinit {
        datePrefix.deallocate()
    }

    /// Opens the file if needed (prepending the header when it is empty), then writes every
    /// buffered byte. On error the unwritten bytes stay buffered for the next try.
    func drain(_ fileSystem: any SpoolFileSystem) throws(EventLogError) {
        if fd == nil {
            guard buffer.pendingCount > 0 else { return }
            let (opened, size) = try fileSystem.openForAppend(path)
            fd = opened
            if size == 0, let header {
                buffer.prepend(header)
                headerByteCount = header.utf8CodeUnitCount
            }
        }
        guard let fd else { return }
        while buffer.pendingCount > 0 {
            let written = try fileSystem.write(fd, buffer.pending, path: path)
            buffer.drained += written
            unsynced = true
        }
        buffer.resetIfDrained()
    }

    /// `fsync` if anything was written since the last one.
    func sync(_ fileSystem: any SpoolFileSystem) throws(EventLogError) {
        guard unsynced, let fd else { return }
        try fileSystem.sync(fd, path: path)
        unsynced = false
    }

    /// Drains, syncs and closes: the file is complete on disk.
    func close(_ fileSystem: any SpoolFileSystem) throws(EventLogError) {
        try drain(fileSystem)
        try sync(fileSystem)
        if let fd {
            fileSystem.close(fd)
            self.fd = nil
        }
    }

    /// Closes without syncing or draining (shutdown after an unrecoverable error).
    func abandon(_ fileSystem: any SpoolFileSystem) {
        if let fd {
            fileSystem.close(fd)
            self.fd = nil
        }
    }
}
