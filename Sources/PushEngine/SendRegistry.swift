import Delivery
import HTTP2Transport
import PushModel
import PushSync

/// How long finished sends stay queryable (``PushApp/send(_:)``, ``PushApp/statistics(of:)``)
/// before they retire. Running sends never retire.
public struct SendRetention: Hashable, Sendable {
    /// Finished sends kept per app; the oldest finished retire first.
    public var maxFinished: Int
    /// A finished send retires this long after it was first seen finished.
    public var maxAge: Duration

    /// Creates a policy; the defaults keep 1,000 finished sends for a day.
    public init(maxFinished: Int = 1_000, maxAge: Duration = .seconds(86_400)) {
        self.maxFinished = max(0, maxFinished)
        self.maxAge = maxAge
    }
}

/// The sends of one app by token, running and recently finished. Guarded by its owner's lock.
struct SendRegistry {
    private struct Entry {
        var run: SendRun
        var order: UInt64
        var finishedAt: UInt64?
    }
    let retention: SendRetention
    private var entries: [SendToken: Entry] = [:]
    private var nextOrder: UInt64 = 0
    private var insertsSincePrune = 0
    private var lastPrune: UInt64 = 0

    init(retention: SendRetention) { self.retention = retention }

    var count: Int { entries.count }

    mutating func insert(_ run: SendRun, now: UInt64) {
        nextOrder &+= 1
        entries[run.source.token] = Entry(run: run, order: nextOrder, finishedAt: nil)
        insertsSincePrune += 1
        // A full pass costs O(sends): run it once as many inserts as there are sends have come
        // (at least 256), or once a second, so its cost per insert stays constant. Between
        // passes up to that many extra finished sends may wait to retire; lookups age their
        // own send, and `trackedSendCount` retires everything due first.
        if insertsSincePrune >= max(256, entries.count) || now &- lastPrune >= 1_000_000_000 { prune(now: now) }
    }

    mutating func lookup(_ token: SendToken, now: UInt64) -> SendRun? {
        prune(now: now, only: token)
        return entries[token]?.run
    }

    var all: [SendRun] { entries.values.map(\.run) }

    /// Retires finished sends over the count or past the age.
    mutating func prune(now: UInt64) {
        insertsSincePrune = 0
        lastPrune = now
        let maxAge = retention.maxAge.wholeNanoseconds
        var finished: [(order: UInt64, token: SendToken)] = []
        for (token, var e) in entries {
            if e.finishedAt == nil, e.run.isFinished {
                e.finishedAt = now
                entries[token] = e
            }
            guard let at = e.finishedAt else { continue }
            if now &- at >= maxAge { entries[token] = nil } else { finished.append((e.order, token)) }
        }
        if finished.count > retention.maxFinished {
            finished.sort { $0.order < $1.order }
            for f in finished.prefix(finished.count - retention.maxFinished) { entries[f.token] = nil }
        }
    }

    /// Ages one send: a lookup must not answer a send that is past its age.
    private mutating func prune(now: UInt64, only token: SendToken) {
        guard var e = entries[token] else { return }
        if e.finishedAt == nil, e.run.isFinished {
            e.finishedAt = now
            entries[token] = e
        }
        if let at = e.finishedAt, now &- at >= retention.maxAge.wholeNanoseconds { entries[token] = nil }
    }
}
