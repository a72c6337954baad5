import PushJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One answered request, as the recorder writes it.
public struct GatewayRecord: Sendable, Hashable {
    /// Which API answered: `apns`, `fcm` or `oauth2`.
    public var api: String
    /// When it was answered (ms since the epoch, gateway clock).
    public var timeMilliseconds: Int64
    /// Device / registration token, if the request named one.
    public var token: String?
    /// `apns-topic`.
    public var topic: String?
    /// `apns-push-type`.
    public var pushType: String?
    /// `apns-priority` (FCM: `android.priority`).
    public var priority: String?
    /// `apns-collapse-id` (FCM: `android.collapse_key`).
    public var collapseID: String?
    /// The `apns-id` answered (FCM: the message name).
    public var messageID: String?
    /// The request body as text.
    public var payload: String
    /// Status answered.
    public var status: Int
    /// Rejection reason, nil on success.
    public var reason: String?

    /// Creates a record.
    public init(
        api: String, timeMilliseconds: Int64, token: String?, topic: String? = nil, pushType: String? = nil,
        priority: String? = nil, collapseID: String? = nil, messageID: String? = nil, payload: String,
        status: Int, reason: String? = nil
    ) {
        self.api = api
        self.timeMilliseconds = timeMilliseconds
        self.token = token
        self.topic = topic
        self.pushType = pushType
        self.priority = priority
        self.collapseID = collapseID
        self.messageID = messageID
        self.payload = payload
        self.status = status
        self.reason = reason
    }

    /// The JSON line (no newline).
    public func jsonLine() -> String {
        var writer = JSONWriter(capacity: 256 + payload.utf8.count)
        writer.beginObject()
        writer.string("time", iso8601(milliseconds: timeMilliseconds))
        writer.string("api", api)
        writer.optionalString("token", token)
        writer.optionalString("topic", topic)
        writer.optionalString("push_type", pushType)
        writer.optionalString("priority", priority)
        writer.optionalString("collapse_id", collapseID)
        writer.optionalString("apns_id", messageID)
        writer.string("payload", payload)
        writer.int("status", Int64(status))
        writer.optionalString("reason", reason)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Error opening or writing the record file.
public struct GatewayRecorderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// `errno` of the failed call.
    public var errno: Int32
    /// What failed.
    public var operation: String
    /// Human-readable summary.
    public var description: String { "record file \(path): \(operation) failed (errno \(errno))" }
}

/// Writes one JSON line per answered request (`--record FILE`), or keeps them in memory.
///
/// Lines are buffered and written in 64 KiB batches; `flush()` (and `close()`) write the rest.
/// Safe from any thread: the buffer and file descriptor live in one `Mutex`, and a batch is
/// written while holding it, which serialises writers (a recording run is not a benchmark).
public final class GatewayRecorder: Sendable {
    private struct State {
        var fd: Int32
        var buffer: [UInt8] = []
        var memory: [String]?
        var failure: GatewayRecorderError?
    }

    private let state: Mutex<State>
    private let path: String
    private static let batchSize = 64 * 1024

    /// Opens (creating or truncating) `path` for recording.
    ///
    /// - Throws: `GatewayRecorderError` when the file cannot be opened.
    public init(path: String) throws(GatewayRecorderError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GatewayRecorderError(path: path, errno: errno, operation: "open")
        }
        self.path = path
        state = Mutex(State(fd: fd))
    }

    /// A recorder that keeps lines in memory (tests read them with `lines()`).
    public init() {
        path = "<memory>"
        state = Mutex(State(fd: -1, memory: []))
    }

    deinit {
        close()
    }

    /// Adds one record.
    public func record(_ record: GatewayRecord) {
        let line = record.jsonLine()
        state.withLock { state in
            if state.memory != nil {
                state.memory?.append(line)
                return
            }
            state.buffer.append(contentsOf: line.utf8)
            state.buffer.append(0x0A)
            if state.buffer.count >= Self.batchSize { Self.writeBuffer(&state, path: path) }
        }
    }

    /// The lines recorded so far (in-memory recorders only; empty for files).
    public func lines() -> [String] {
        state.withLock { $0.memory ?? [] }
    }

    /// Writes buffered lines to the file.
    ///
    /// - Throws: the first write error met since the recorder was opened.
    public func flush() throws(GatewayRecorderError) {
        let failure = state.withLock { state -> GatewayRecorderError? in
            Self.writeBuffer(&state, path: path)
            return state.failure
        }
        if let failure { throw failure }
    }

    /// Flushes and closes the file; later records are dropped.
    public func close() {
        state.withLock { state in
            Self.writeBuffer(&state, path: path)
            if state.fd >= 0 {
                closeDescriptor(state.fd)
                state.fd = -1
            }
        }
    }

    private static func writeBuffer(_ state: inout State, path: String) {
        guard state.fd >= 0, !state.buffer.isEmpty else {
            state.buffer.removeAll(keepingCapacity: true)
            return
        }
        var written = 0
        while written < state.buffer.count {
            let count = state.buffer.withUnsafeBytes { raw in
                write(state.fd, raw.baseAddress! + written, raw.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                if state.failure == nil {
                    state.failure = GatewayRecorderError(path: path, errno: errno, operation: "write")
                }
                break
            }
            written += count
        }
        state.buffer.removeAll(keepingCapacity: true)
    }
}

/// Closes a file descriptor (a free function, so `GatewayRecorder.close()` does not shadow it).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
