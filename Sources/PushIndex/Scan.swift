public import PushModel
import Dispatch
import Synchronization

/// Phase-one results: one bit per (record term, custom record). Record `r` of key shard `k`
/// has global index `offsets[k] + r`; term `t`'s bits start at word `t * words`. Records
/// created after phase one read as the term's default.
struct RecordMasks: Sendable {
    var bits: ContiguousArray<UInt64> = []
    var words = 0
    var offsets: ContiguousArray<Int> = []
    var counts: ContiguousArray<Int> = []
}

/// A bit buffer filled by phase-one workers.
/// `@unchecked Sendable`: every key shard's records start on a 64-bit word boundary, so each
/// worker writes only the words of the shard it claimed; the buffer is read after all
/// workers have returned (`concurrentPerform` joins them).
final class SharedWords: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<UInt64>
    init(count: Int) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0)
    }
    deinit { pointer.deallocate() }
}

extension CompiledSegment {
    /// Whether `row` matches. Runs the postfix code over a 64-bit stack.
    @inline(__always)
    func matches(_ row: Row, in s: borrowing RowShard, code: UnsafeBufferPointer<Instr>,
                 masks: UnsafeBufferPointer<UInt64>, offsets: UnsafeBufferPointer<Int>, counts: UnsafeBufferPointer<Int>,
                 recordBits: UInt32) -> Bool {
        var stack: UInt64 = 0
        for instr in code {
            let bit: Bool
            switch instr.op {
            case .constant: bit = instr.a != 0
            case .flags: bit = UInt32(row.flags) & instr.a == instr.b
            case .hasToken: bit = row.tokenLength != 0
            case .language: bit = UInt32(row.language) == instr.a
            case .region: bit = UInt32(row.region) == instr.a
            case .lastSeenBefore: bit = row.lastSeenAt < instr.a
            case .lastSeenAfter: bit = row.lastSeenAt > instr.a
            case .recordBit:
                if row.customRef == Row.none {
                    bit = termDefaults >> UInt64(instr.a) & 1 != 0
                } else {
                    let k = recordBits == 32 ? 0 : Int(row.customRef >> recordBits)
                    let r = Int(recordBits == 32 ? row.customRef : row.customRef & ((1 << recordBits) - 1))
                    if r < counts[k] {
                        let i = offsets[k] + r
                        bit = masks[Int(instr.b) + i >> 6] >> UInt64(i & 63) & 1 != 0
                    } else {
                        bit = termDefaults >> UInt64(instr.a) & 1 != 0
                    }
                }
            case .atom:
                preconditionFailure("record atom outside a record term")
            case .installationAudience:
                bit = s.withIDKey(row) { audiences[Int(instr.a)].contains($0) }
            case .advertisingAudience:
                bit = row.has(Row.hasAdvertisingID)
                    && AudienceKeys.uuid(UUIDBytes(hi: row.advHi, lo: row.advLo)) { audiences[Int(instr.a)].contains($0) }
            case .and:
                stack = (stack >> 2) << 1 | (stack & 3 == 3 ? 1 : 0)
                continue
            case .or:
                stack = (stack >> 2) << 1 | (stack & 3 != 0 ? 1 : 0)
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

extension CompiledSegment {
    /// Rows a scan loads the phase-one mask words for, ahead of evaluating them.
    static let touchWindow = 64

    /// Loads the mask word the first record term will read for each row of `range` (rows
    /// with a custom ID index the bitset at random): a software prefetch, so the misses of a
    /// window overlap instead of stalling the row loop one by one. Returns the loaded bits.
    @inline(__always)
    func touchMasks(_ rows: UnsafeBufferPointer<Row>, _ range: Range<Int>, code: UnsafeBufferPointer<Instr>,
                    masks: UnsafeBufferPointer<UInt64>, offsets: UnsafeBufferPointer<Int>, counts: UnsafeBufferPointer<Int>,
                    recordBits: UInt32) -> UInt64 {
        guard let term = code.first(where: { $0.op == .recordBit }) else { return 0 }
        var sink: UInt64 = 0
        for c in range {
            let ref = rows[c].customRef
            guard ref != Row.none else { continue }
            let k = recordBits == 32 ? 0 : Int(ref >> recordBits)
            let r = Int(recordBits == 32 ? ref : ref & ((1 << recordBits) - 1))
            if r < counts[k] {
                let i = offsets[k] + r
                sink ^= masks[Int(term.b) + i >> 6]
            }
        }
        return sink
    }
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

    /// Phase one of a scan: evaluates every record term for every custom record.
    /// Returns the bits and a copy of the program whose `.recordBit` instructions carry the
    /// word offset of their term in `b`.
    func recordMasks(_ program: CompiledSegment, parallelism: Int) -> (RecordMasks, CompiledSegment) {
        var out = RecordMasks()
        out.offsets = ContiguousArray(repeating: 0, count: keyShards.count)
        out.counts = ContiguousArray(repeating: 0, count: keyShards.count)
        guard !program.terms.isEmpty else { return (out, program) }
        var total = 0
        for k in keyShards.indices {
            let n = keyShards[k].withLock { $0.records.count }
            out.offsets[k] = total
            out.counts[k] = n
            total += (n + 63) & ~63
        }
        out.words = total / 64
        let words = out.words
        let shared = SharedWords(count: words * program.terms.count)
        let offsets = out.offsets
        let counts = out.counts
        // Flatten tests and terms so the record loop only reads plain values.
        var flat = FlatTests()
        var atomIsTest: [Int32] = []  // per atom: index in flat.tests, or -1 - audience slot
        var audienceSets: [KeySet] = []
        for atom in program.recordAtoms {
            switch atom {
            case .attribute(let test):
                atomIsTest.append(Int32(flat.tests.count))
                flat.add(test)
            case .customAudience(let set):
                atomIsTest.append(-1 - Int32(audienceSets.count))
                audienceSets.append(set)
            }
        }
        var termCode: [CompiledSegment.Instr] = []
        var termRanges: [Range<Int>] = []
        for term in program.terms {
            termRanges.append(termCode.count..<termCode.count + term.count)
            termCode += term
        }
        let tests = flat
        let atoms = atomIsTest
        let sets = audienceSets
        let code = termCode
        let ranges = termRanges
        forEachShard(keyShards.count, parallelism: parallelism) { k in
            keyShards[k].withLock { ks in
                let base = offsets[k]
                tests.tests.withUnsafeBufferPointer { testList in
                    tests.literals.withUnsafeBufferPointer { literals in
                        tests.bytes.withUnsafeBytes { bytes in
                            atoms.withUnsafeBufferPointer { atoms in
                                code.withUnsafeBufferPointer { code in
                                    let n = min(counts[k], ks.records.count)
                                    for r in 0..<n where ks.records[r].live {
                                        var atomBits: UInt32 = 0
                                        for (a, slot) in atoms.enumerated() {
                                            let hit: Bool
                                            if slot >= 0 {
                                                hit = ks.evaluate(testList[Int(slot)], record: r, literals: literals, bytes: bytes)
                                            } else {
                                                hit = ks.withCustomBytes(UInt32(r)) { sets[Int(-1 - slot)].contains($0) }
                                            }
                                            if hit { atomBits |= 1 << UInt32(a) }
                                        }
                                        let i = base + r
                                        for t in ranges.indices
                                        where CompiledSegment.evaluate(term: UnsafeBufferPointer(rebasing: code[ranges[t]]), atoms: atomBits) {
                                            shared.pointer[t * words + i >> 6] |= 1 << UInt64(i & 63)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out.bits = ContiguousArray(shared.pointer)
        var compiled = program
        for j in compiled.code.indices where compiled.code[j].op == .recordBit {
            compiled.code[j].b = compiled.code[j].a * UInt32(words)
        }
        return (out, compiled)
    }

    /// Runs `body` with the row loop's view of a compiled segment and its masks.
    @inline(__always)
    func withScanBuffers<R>(_ program: CompiledSegment, _ masks: RecordMasks,
                            _ body: (UnsafeBufferPointer<CompiledSegment.Instr>, UnsafeBufferPointer<UInt64>,
                                     UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> R) -> R {
        program.code.withUnsafeBufferPointer { code in
            masks.bits.withUnsafeBufferPointer { bits in
                masks.offsets.withUnsafeBufferPointer { offsets in
                    masks.counts.withUnsafeBufferPointer { counts in body(code, bits, offsets, counts) }
                }
            }
        }
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
        try scanBatches(segment, batchSize: batchSize, parallelism: parallelism, requiringToken: false,
                        record: { row, s in self.installation(row, in: s, resolvingCustomID: false) },
                        setCustomID: { $0.customID = $1 },
                        { batch in body(batch); return true })
    }

    /// The one scan loop behind `scan` and `scanTargets`: matching live rows (with a token when
    /// `requiringToken`) become `Record`s under the row shard's lock, their custom IDs are
    /// resolved in one pass per batch, and `body` runs with no lock held. Once `body` returns
    /// false, every thread stops before its next batch. Returns the number of records yielded.
    func scanBatches<Record>(
        _ segment: Segment, batchSize: Int, parallelism: Int, requiringToken: Bool,
        record: (Row, borrowing RowShard) -> Record,
        setCustomID: (inout Record, CustomID) -> Void,
        _ body: @Sendable ([Record]) -> Bool
    ) throws(ValidationError) -> Int {
        precondition(batchSize > 0, "batchSize must be positive")
        let (masks, program) = recordMasks(try compile(segment), parallelism: parallelism)
        let total = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
        let recordBits = self.recordBits
        withoutActuallyEscaping(record) { record in
            withoutActuallyEscaping(setCustomID) { setCustomID in
                // The closures are only called on the scanning threads, which end before this returns.
                nonisolated(unsafe) let (record, setCustomID) = (record, setCustomID)
                forEachShard(rowShards.count, parallelism: parallelism) { b in
                    var cursor = 0
                    var yielded = 0
                    defer { total.add(yielded, ordering: .relaxed) }
                    while !stopped.load(ordering: .relaxed) {
                        var batch: [Record] = []
                        batch.reserveCapacity(batchSize)
                        var customRefs: [UInt32] = []
                        customRefs.reserveCapacity(batchSize)
                        var anyCustom = false
                        let finished: Bool = rowShards[b].withLock { s in
                            var sink: UInt64 = 0
                            let done = withScanBuffers(program, masks) { code, bits, offsets, counts in
                                s.rows.withUnsafeBufferPointer { rows in
                                    let n = rows.count
                                    var touched = cursor
                                    while cursor < n && batch.count < batchSize {
                                        if cursor == touched {
                                            touched = min(cursor + CompiledSegment.touchWindow, n)
                                            sink ^= program.touchMasks(rows, cursor..<touched, code: code, masks: bits, offsets: offsets,
                                                                       counts: counts, recordBits: recordBits)
                                        }
                                        let row = rows[cursor]
                                        cursor += 1
                                        // Dead rows (and rows without a token, when asked) are skipped before the predicate runs.
                                        if row.flags & Row.live != 0 && (!requiringToken || row.tokenLength != 0)
                                            && program.matches(row, in: s, code: code, masks: bits, offsets: offsets,
                                                               counts: counts, recordBits: recordBits) {
                                            batch.append(record(row, s))
                                            customRefs.append(row.customRef)
                                            anyCustom = anyCustom || row.customRef != Row.none
                                        }
                                    }
                                    return cursor >= n
                                }
                            }
                            s.touchSink ^= sink
                            // Still under the row shard's lock: the references cannot go stale.
                            if anyCustom { customIDs(customRefs) { i, id in setCustomID(&batch[i], id) } }
                            return done
                        }
                        if !batch.isEmpty && !stopped.load(ordering: .relaxed) {
                            yielded += batch.count
                            if !body(batch) { stopped.store(true, ordering: .relaxed) }
                        }
                        if finished { break }
                    }
                }
            }
        }
        return total.load(ordering: .relaxed)
    }

    /// Counts installations matching `segment` without building them.
    public func count(matching segment: Segment, parallelism: Int = 2) throws(ValidationError) -> Int {
        let (masks, program) = recordMasks(try compile(segment), parallelism: parallelism)
        let total = Atomic<Int>(0)
        let recordBits = self.recordBits
        forEachShard(rowShards.count, parallelism: parallelism) { b in
            let n: Int = rowShards[b].withLock { s in
                withScanBuffers(program, masks) { code, bits, offsets, counts in
                    s.rows.withUnsafeBufferPointer { rows in
                        var n = 0
                        for row in rows where row.has(Row.live)
                            && program.matches(row, in: s, code: code, masks: bits, offsets: offsets, counts: counts, recordBits: recordBits) {
                            n += 1
                        }
                        return n
                    }
                }
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
                var customRefs: [UInt32] = []
                customRefs.reserveCapacity(batchSize)
                let finished: Bool = rowShards[b].withLock { s in
                    defer { customIDs(customRefs) { i, id in batch[i].customID = id } }
                    let n = s.rows.count
                    while cursor < n && batch.count < batchSize {
                        let row = s.rows[cursor]
                        cursor += 1
                        guard row.has(Row.live) else { continue }
                        customRefs.append(row.customRef)
                        batch.append(UserbaseEntry(
                            installationID: s.installationID(row),
                            platform: row.has(Row.android) ? .android : .iOS,
                            customID: nil,
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

