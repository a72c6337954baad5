public import PushModel

/// One installation as the opt-in userbase file lists it.
///
/// The index conforms its installation view to this protocol, so the export can read it
/// without EventLog importing PushIndex. Values are checked against the field rule
/// (``LogField``) as they are written; an empty custom ID means an anonymous user.
public protocol UserbaseRow {
    /// The custom user ID, or `""` for an anonymous user.
    var userbaseCustomID: String { get }
    /// The advertising ID (IDFA / GAID), or `""` when unknown.
    var userbaseAdvertisingID: String { get }
    /// Whether the installation is opted in to notifications (`True` / `False`).
    var userbaseOptIn: Bool { get }
}

/// A userbase row held as validated fields (from a file, or a test).
public struct UserbaseEntry: UserbaseRow, Sendable, Hashable {
    /// The custom user ID, empty for anonymous users.
    public var customID: LogField
    /// The advertising ID.
    public var advertisingID: LogField
    /// Opted in to notifications.
    public var optIn: Bool

    /// Creates a row.
    public init(customID: LogField = .empty, advertisingID: LogField, optIn: Bool) {
        self.customID = customID
        self.advertisingID = advertisingID
        self.optIn = optIn
    }

    /// ``customID``'s text.
    public var userbaseCustomID: String { customID.text }
    /// ``advertisingID``'s text.
    public var userbaseAdvertisingID: String { advertisingID.text }
    /// ``optIn``.
    public var userbaseOptIn: Bool { optIn }
}

/// What one userbase export wrote.
public struct UserbaseExportSummary: Sendable, Hashable {
    /// The published file name (`APPNAME-userbase_API-KEY@IOS_YYYY-MM-DD.csv`).
    public let fileName: String
    /// Lines written, one per installation.
    public let lineCount: Int
    /// Bytes written.
    public let byteCount: Int
}

/// Writes the opt-in userbase snapshot, `CUSTOM_USER_ID;ADVERTISING_ID;True|False`, one line
/// per row, no header, and publishes it at once through a sink (replacing an earlier
/// snapshot of the same day).
///
/// The file is written as a partial in the spool directory, synced, then handed to the sink,
/// so a consumer never sees half a snapshot. `pushengine export userbase` calls this on
/// demand; a daily schedule calls it after each UTC day plus the grace period.
public enum UserbaseExport {
    /// Writes `rows` for `app` on `platform`, named for `day`, and publishes the file.
    /// - Throws: ``EventLogError/invalidField(field:reason:)`` naming the row (1-based) and
    ///   column when a value breaks the field rule (nothing is published then), or the I/O
    ///   error of the spool or the sink.
    @discardableResult
    public static func write<Rows: Sequence>(rows: Rows, app: ExportApp, platform: Platform, day: UTCDay,
                                             spoolDirectory: String, sink: some EventFileSink) throws(EventLogError) -> UserbaseExportSummary
    where Rows.Element: UserbaseRow {
        try write(rows: rows, app: app, platform: platform, day: day, spoolDirectory: spoolDirectory,
                  sink: sink, fileSystem: POSIXFileSystem())
    }

    static func write<Rows: Sequence>(rows: Rows, app: ExportApp, platform: Platform, day: UTCDay, spoolDirectory: String,
                                      sink: some EventFileSink, fileSystem: any SpoolFileSystem) throws(EventLogError) -> UserbaseExportSummary
    where Rows.Element: UserbaseRow {
        let name = ExportFileName(app: app, kind: .userbase, platform: platform, day: day)
        try fileSystem.makeDirectory(spoolDirectory)
        // A distinct suffix: the event writer's start-up recovery only adopts `.csv.partial` day files.
        let path = spoolDirectory + "/" + name.description + ".snapshot"
        let fd = try fileSystem.createTruncating(path)
        let buffer = LineBuffer(capacity: 1 << 20)
        var lines = 0
        var bytes = 0
        do throws(EventLogError) {
            for row in rows {
                lines += 1
                // Checked in place; the error's field name is only built for a bad row.
                let customText = row.userbaseCustomID
                if let rejection = LogField.check(customText.utf8) {
                    throw .invalidField(field: "userbase row \(lines) custom ID", reason: rejection)
                }
                let advertisingText = row.userbaseAdvertisingID
                if let rejection = LogField.check(advertisingText.utf8) {
                    throw .invalidField(field: "userbase row \(lines) advertising ID", reason: rejection)
                }
                let customID = LogField(unchecked: customText)
                let advertisingID = LogField(unchecked: advertisingText)
                EventLineFormatter.appendUserbase(customID: customID, advertisingID: advertisingID,
                                                  optIn: row.userbaseOptIn, to: buffer)
                if buffer.pendingCount >= 1 << 19 { bytes += try drain(buffer, fd: fd, path: path, fileSystem: fileSystem) }
            }
            bytes += try drain(buffer, fd: fd, path: path, fileSystem: fileSystem)
            try fileSystem.sync(fd, path: path)
            fileSystem.close(fd)
        } catch {
            fileSystem.close(fd)
            try? fileSystem.remove(path)
            throw error
        }
        try sink.publish(CompletedFile(name: name.description, spoolPath: path, disposition: .replaceExisting))
        return UserbaseExportSummary(fileName: name.description, lineCount: lines, byteCount: bytes)
    }

    /// The latest day whose daily snapshot is due at `now`: a day's snapshot is due once the
    /// day is over plus `grace` (the reference: each UTC day + 2 h). A daily scheduler (`serve`)
    /// writes it when this changes.
    public static func latestDueDay(at now: EventTime, grace: Duration) -> UTCDay {
        let shifted = now.secondsSinceEpoch - grace.components.seconds
        return UTCDay(unchecked: shifted.floorDivided(by: 86_400) - 1)
    }

    private static func drain(_ buffer: LineBuffer, fd: Int32, path: String,
                              fileSystem: any SpoolFileSystem) throws(EventLogError) -> Int {
        let total = buffer.pendingCount
        while buffer.pendingCount > 0 {
            buffer.drained += try fileSystem.write(fd, buffer.pending, path: path)
        }
        buffer.resetIfDrained()
        return total
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
