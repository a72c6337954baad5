public import PushModel
import Dispatch
import Synchronization

extension CompiledSegment {
    /// Whether `row` matches. `masks` holds the record-atom bits per key shard (phase one).
    @inline(__always)
    func matches(_ row: Row, in s: borrowing RowShard, masks: [ContiguousArray<UInt32>], recordBits: UInt32) -> Bool {
        var stack: UInt64 = 0
        for op in code {
            let bit: Bool
            switch op {
            case .constant(let b): bit = b
            case .flags(let mask, let value): bit = row.flags & mask == value
            case .hasToken: bit = row.tokenLength != 0
            case .language(let l): bit = row.language == l
            case .region(let r): bit = row.region == r
            case .lastSeenBefore(let t): bit = row.lastSeenAt < t
            case .lastSeenAfter(let t): bit = row.lastSeenAt > t
            case .recordBit(let b):
                if row.customRef == Row.none {
                    bit = false
                } else {
                    let k = recordBits == 32 ? 0 : Int(row.customRef >> recordBits)
                    let r = Int(recordBits == 32 ? row.customRef : row.customRef & ((1 << recordBits) - 1))
                    let shardMasks = masks[k]
                    bit = r < shardMasks.count && shardMasks[r] & (1 << b) != 0
                }
            case .installationAudience(let i):
                bit = s.withIDKey(row) { audiences[i].contains($0) }
            case .advertisingAudience(let i):
                bit = row.has(Row.hasAdvertisingID)
                    && AudienceKeys.uuid(UUIDBytes(hi: row.advHi, lo: row.advLo)) { audiences[i].contains($0) }
            case .and(let n):
                let m: UInt64 = (1 << UInt64(n)) - 1
                let all = stack & m == m
                stack = (stack >> UInt64(n)) << 1 | (all ? 1 : 0)
                continue
            case .or(let n):
                let m: UInt64 = (1 << UInt64(n)) - 1
                let any = stack & m != 0
                stack = (stack >> UInt64(n)) << 1 | (any ? 1 : 0)
                continue
            case .not:
                stack ^= 1
                continue
            }
            stack = stack << 1 | (bit ? 1 : 0)
        }
        return stack & 1 != 0
    }
}

/// Results of one phase handed between worker threads: each slot is written once, by
/// one worker, and read only after every worker finished.
final class ScanResults<Element: Sendable>: Sendable {
    private let slots: Mutex<[Element?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ value: sending Element) { slots.withLock { $0[i] = value } }
    var all: [Element?] { slots.withLock { $0 } }
}

extension ShardedIndex {
    /// Runs `work(i)` for i in 0..<count on `parallelism` threads; shards are claimed one at
    /// a time, in ascending order.
    func forEachShard(_ count: Int, parallelism: Int, _ work: @Sendable (Int) -> Void) {
        let next = Atomic<Int>(0)
        let threads = max(1, min(parallelism, count))
        if threads == 1 {
            for i in 0..<count { work(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                work(i)
            }
        }
    }

    /// Phase one of a scan: the record-atom bits of every custom record, per key shard.
    func recordMasks(_ program: CompiledSegment, parallelism: Int) -> [ContiguousArray<UInt32>] {
        guard !program.recordAtoms.isEmpty else { return Array(repeating: [], count: keyShards.count) }
        let results = ScanResults<ContiguousArray<UInt32>>(count: keyShards.count)
        forEachShard(keyShards.count, parallelism: parallelism) { k in
            let masks: ContiguousArray<UInt32> = keyShards[k].mutex.withLock { ks in
                var masks = ContiguousArray<UInt32>(repeating: 0, count: ks.records.count)
                for r in 0..<ks.records.count where ks.records[r].live {
                    var bits: UInt32 = 0
                    for (i, atom) in program.recordAtoms.enumerated() {
                        let hit: Bool
                        switch atom {
                        case .attribute(let test): hit = ks.evaluate(test, record: UInt32(r))
                        case .customAudience(let set): hit = ks.withCustomBytes(UInt32(r)) { set.contains($0) }
                        }
                        if hit { bits |= 1 << UInt32(i) }
                    }
                    masks[r] = bits
                }
                return masks
            }
            results.set(k, masks)
        }
        return results.all.map { $0 ?? [] }
    }

    /// Yields every installation matching `segment`, in batches of at most `batchSize`,
    /// from `parallelism` threads at once (so `body` must be thread-safe). Returns the number
    /// of installations yielded.
    ///
    /// Shards are scanned one at a time per thread; a shard's lock is released before each
    /// batch is handed over, so writers are never held up for a callback. The result is not
    /// a snapshot: installations changed during the scan may or may not be seen.
    /// Throws, before scanning, when the segment names an unknown audience or compares an
    /// attribute with a literal of another type.
    @discardableResult
    public func scan(_ segment: Segment, batchSize: Int = 1024, parallelism: Int = 2,
                     _ body: @Sendable ([Installation]) -> Void) throws(ValidationError) -> Int {
        precondition(batchSize > 0, "batchSize must be positive")
        let program = try compile(segment)
        let masks = recordMasks(program, parallelism: parallelism)
        let total = Atomic<Int>(0)
        let recordBits = self.recordBits
        forEachShard(rowShards.count, parallelism: parallelism) { b in
            var cursor = 0
            var yielded = 0
            while true {
                var batch: [Installation] = []
                batch.reserveCapacity(batchSize)
                let finished: Bool = rowShards[b].mutex.withLock { s in
                    let n = s.rows.count
                    while cursor < n && batch.count < batchSize {
                        let row = s.rows[cursor]
                        cursor += 1
                        if row.has(Row.live) && program.matches(row, in: s, masks: masks, recordBits: recordBits) {
                            batch.append(installation(row, in: s))
                        }
                    }
                    return cursor >= n
                }
                if !batch.isEmpty {
                    yielded += batch.count
                    body(batch)
                }
                if finished { break }
            }
            total.add(yielded, ordering: .relaxed)
        }
        return total.load(ordering: .relaxed)
    }

    /// Counts installations matching `segment` without building them.
    public func count(matching segment: Segment, parallelism: Int = 2) throws(ValidationError) -> Int {
        let program = try compile(segment)
        let masks = recordMasks(program, parallelism: parallelism)
        let total = Atomic<Int>(0)
        let recordBits = self.recordBits
        forEachShard(rowShards.count, parallelism: parallelism) { b in
            let n: Int = rowShards[b].mutex.withLock { s in
                var n = 0
                s.rows.withUnsafeBufferPointer { rows in
                    for row in rows where row.has(Row.live) && program.matches(row, in: s, masks: masks, recordBits: recordBits) {
                        n += 1
                    }
                }
                return n
            }
            total.add(n, ordering: .relaxed)
        }
        return total.load(ordering: .relaxed)
    }

    /// The userbase pass behind the daily export: custom ID, advertising ID and opt-in of
    /// every installation, in batches of at most `batchSize`, shards in order, on the
    /// calling thread. No lock is held while `body` runs.
    public func forEachUserbaseBatch(batchSize: Int = 1024, _ body: ([UserbaseEntry]) throws -> Void) rethrows {
        precondition(batchSize > 0, "batchSize must be positive")
        for b in rowShards.indices {
            var cursor = 0
            while true {
                var batch: [UserbaseEntry] = []
                batch.reserveCapacity(batchSize)
                let finished: Bool = rowShards[b].mutex.withLock { s in
                    let n = s.rows.count
                    while cursor < n && batch.count < batchSize {
                        let row = s.rows[cursor]
                        cursor += 1
                        guard row.has(Row.live) else { continue }
                        batch.append(UserbaseEntry(
                            installationID: s.installationID(row),
                            platform: row.has(Row.android) ? .android : .iOS,
                            customID: customID(of: row),
                            advertisingID: row.has(Row.hasAdvertisingID)
                                ? AdvertisingID(unchecked: UUIDBytes(hi: row.advHi, lo: row.advLo),
                                                letterCase: row.has(Row.upperCaseAdvertisingID) ? .upper : .lower)
                                : nil,
                            pushOptIn: row.has(Row.optIn)))
                    }
                    return cursor >= n
                }
                if !batch.isEmpty { try body(batch) }
                if finished { break }
            }
        }
    }
}

