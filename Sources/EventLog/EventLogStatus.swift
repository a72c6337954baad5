import Synchronization

/// What the writer is doing, for health checks and operators.
public struct EventLogStatus: Sendable, Equatable {
    /// Whether new batches are accepted (false while the disk refuses writes, or after shutdown).
    public var isAccepting: Bool
    /// Why batches are refused: the write, open or sync error the writer is retrying.
    public var refusal: EventLogError?
    /// Lines formatted since start (written, or buffered while the disk refuses writes).
    public var linesFormatted: UInt64
    /// Day files handed to the sink since start.
    public var filesPublished: Int
    /// The last error of the sink; the file stays in the spool and is tried again.
    public var publishError: EventLogError?
    /// Day files in the spool not yet published.
    public var pendingDayFiles: Int
    /// Partial files whose torn last line was truncated at start-up.
    public var repairs: [TornLineRepair]

    static let initial = EventLogStatus(isAccepting: true, refusal: nil, linesFormatted: 0, filesPublished: 0,
                                        publishError: nil, pendingDayFiles: 0, repairs: [])
}

/// The writer thread publishes its state here once per cycle; readers take a snapshot.
final class EventLogStatusBox: Sendable {
    private let state: Mutex<EventLogStatus>

    init(_ initial: EventLogStatus) { state = Mutex(initial) }

    func withLock<T>(_ body: (inout EventLogStatus) -> T) -> T {
        state.withLock { body(&$0) }
    }
}
