#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong in the event log, with the context a reader needs to act.
///
/// Input errors (`invalidField`, `invalidTime`, `invalidDate`, `invalidFileNameComponent`,
/// `invalidUserbaseRow`) are raised at the door, before anything reaches the writer.
/// Environment errors (`diskFull`, `permissionDenied`, `ioFailure`) stop the writer from
/// accepting new batches until it can write again; events already accepted stay in memory.
public enum EventLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field value contains a byte the one field rule forbids (`;`, `"`, CR, LF), or is too long.
    case invalidField(field: String, reason: FieldRejection)
    /// An event time outside 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
    case invalidTime(field: String, secondsSinceEpoch: Int64)
    /// A day that is not a valid `YYYY-MM-DD` UTC date.
    case invalidDate(String)
    /// An app name or API key that cannot be part of a file name.
    case invalidFileNameComponent(field: String, value: String)
    /// A line of a userbase source file that cannot be read.
    case invalidUserbaseRow(source: String, line: Int, reason: String)
    /// The file system is full (`ENOSPC`, `EDQUOT`); free space and the writer resumes.
    case diskFull(path: String)
    /// The spool or sink directory refuses access (`EACCES`, `EPERM`, `EROFS`); fix permissions and the writer resumes.
    case permissionDenied(path: String)
    /// Any other failing system call, with its `errno`.
    case ioFailure(operation: String, path: String, errno: Int32)
    /// The writer refuses new batches because it cannot write; `cause` says why. Retry later.
    indirect case notAccepting(cause: EventLogError)
    /// The writer has been shut down; no batch is accepted any more.
    case shutDown

    /// Why a field value was rejected.
    public enum FieldRejection: Sendable, Equatable {
        /// The byte at `offset` is `;`, `"`, CR or LF.
        case forbiddenByte(UInt8, offset: Int)
        /// The value is longer than ``LogField/maximumByteCount`` bytes.
        case tooLong(byteCount: Int)
    }

    /// A sentence for operators: what failed, where, and what to do.
    public var description: String {
        switch self {
        case .invalidField(let field, .forbiddenByte(let byte, let offset)):
            return "\(field): byte 0x\(String(byte, radix: 16)) at offset \(offset) is not allowed in an exported field (no ';', '\"', CR or LF)"
        case .invalidField(let field, .tooLong(let count)):
            return "\(field): \(count) bytes is longer than the \(LogField.maximumByteCount)-byte limit of an exported field"
        case .invalidTime(let field, let seconds):
            return "\(field): \(seconds) s since the epoch is outside 1970-01-01...9999-12-31 UTC"
        case .invalidDate(let text):
            return "date '\(text)' is not a valid YYYY-MM-DD UTC day"
        case .invalidFileNameComponent(let field, let value):
            return "\(field) '\(value)' cannot be part of an export file name (empty, '.', '..', '/', '@', control bytes or a forbidden field byte)"
        case .invalidUserbaseRow(let source, let line, let reason):
            return "\(source):\(line): \(reason)"
        case .diskFull(let path):
            return "disk full while writing \(path): free space; the event log resumes by itself"
        case .permissionDenied(let path):
            return "permission denied on \(path): fix the directory's permissions; the event log resumes by itself"
        case .ioFailure(let operation, let path, let code):
            return "\(operation) failed on \(path) (errno \(code))"
        case .notAccepting(let cause):
            return "event log not accepting new events: \(cause)"
        case .shutDown:
            return "event log is shut down"
        }
    }

    /// Maps an `errno` from a failing call to the typed error the writer reports.
    static func io(_ operation: String, path: String, errno code: Int32) -> EventLogError {
        switch code {
        case ENOSPC, EDQUOT: return .diskFull(path: path)
        case EACCES, EPERM, EROFS: return .permissionDenied(path: path)
        default: return .ioFailure(operation: operation, path: path, errno: code)
        }
    }
}
