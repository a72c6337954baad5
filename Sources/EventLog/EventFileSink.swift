/// A complete file, closed and synced in the spool directory, ready to be delivered.
public struct CompletedFile: Sendable, Hashable {
    /// What to do when the sink already holds a file of the same name.
    public enum Disposition: Sendable, Hashable {
        /// A day file: if an earlier version was already published (events arrived after
        /// the day's grace period), append this file's lines to it, skipping this file's
        /// first `headerByteCount` bytes (the in-app header), and replace it atomically.
        case appendToExisting(headerByteCount: Int)
        /// A snapshot (userbase): replace the published file.
        case replaceExisting
    }

    /// The final file name, e.g. `MyApp-events_KEY@IOS_2017-07-24.csv` (see ``ExportFileName``).
    public let name: String
    /// Where the complete bytes are, in the spool directory.
    public let spoolPath: String
    /// What to do with an earlier file of the same name.
    public let disposition: Disposition

    /// Describes a completed spool file.
    public init(name: String, spoolPath: String, disposition: Disposition) {
        self.name = name
        self.spoolPath = spoolPath
        self.disposition = disposition
    }
}

/// Where finished daily files go: a local directory now; S3 or SFTP later, without touching
/// the writer.
///
/// The writer calls ``publish(_:)`` from its own thread once a day is over plus the grace
/// period (or at once for an on-demand snapshot). A sink must make the file appear under
/// its final name atomically, so that a consumer never reads half a file, and must consume
/// the spool file (move or delete it) only once the published copy is durable. If it throws,
/// the spool file stays where it is and the writer tries again later; events keep flowing.
public protocol EventFileSink: Sendable {
    /// Delivers `file` under `file.name`, then removes `file.spoolPath`.
    func publish(_ file: CompletedFile) throws(EventLogError)
}
