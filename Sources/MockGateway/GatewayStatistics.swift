import Synchronization
import PushJSON

/// Counts answered requests by status and by reason, from every loop thread.
///
/// The common case (a 200) is one relaxed atomic add; rejections take a mutex.
public final class GatewayStatistics: Sendable {
    private let accepted = Atomic<Int>(0)
    private let rejections = Mutex<[Key: Int]>([:])

    private struct Key: Hashable {
        var status: Int
        var reason: String
    }

    /// A point-in-time copy of the counters.
    public struct Snapshot: Sendable, Hashable {
        /// Every answered request.
        public var requests: Int
        /// Requests per HTTP status.
        public var byStatus: [Int: Int]
        /// Requests per rejection reason (APNs reason, FCM error code or OAuth2 error).
        public var byReason: [String: Int]
    }

    /// Creates empty counters.
    public init() {}

    /// Counts one answer; `reason` is nil for successes.
    public func record(status: Int, reason: String?) {
        if status == 200, reason == nil {
            accepted.wrappingAdd(1, ordering: .relaxed)
            return
        }
        rejections.withLock { $0[Key(status: status, reason: reason ?? ""), default: 0] += 1 }
    }

    /// The counters now.
    public func snapshot() -> Snapshot {
        let ok = accepted.load(ordering: .relaxed)
        let others = rejections.withLock { $0 }
        var byStatus: [Int: Int] = [:]
        var byReason: [String: Int] = [:]
        if ok > 0 { byStatus[200] = ok }
        var total = ok
        for (key, count) in others {
            byStatus[key.status, default: 0] += count
            if !key.reason.isEmpty { byReason[key.reason, default: 0] += count }
            total += count
        }
        return Snapshot(requests: total, byStatus: byStatus, byReason: byReason)
    }

    /// One JSON line: `{"requests":N,"by_status":{"200":N,…},"by_reason":{"Unregistered":N,…}}`
    /// with keys sorted, so runs compare textually.
    public func jsonLine() -> String {
        let snapshot = snapshot()
        var writer = JSONWriter()
        writer.beginObject()
        writer.int("requests", Int64(snapshot.requests))
        writer.key("by_status")
        writer.beginObject()
        for (status, count) in snapshot.byStatus.sorted(by: { $0.key < $1.key }) {
            writer.int(String(status), Int64(count))
        }
        writer.endObject()
        writer.key("by_reason")
        writer.beginObject()
        for (reason, count) in snapshot.byReason.sorted(by: { $0.key < $1.key }) {
            writer.int(reason, Int64(count))
        }
        writer.endObject()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
