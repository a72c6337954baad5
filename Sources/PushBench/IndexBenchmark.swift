@_spi(Benchmark) public import PushIndex
import PushModel
import PushSync
import Dispatch
import Synchronization

/// The index benchmark behind `pushengine bench --index-only`: builds the index from the
/// deterministic generator, then measures memory, build rate, token lookups and a
/// two-attribute scan, next to a naive reference (`DictionaryBaseline`) in the same process.
public enum IndexBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Installations to build.
        public var installations: Int
        /// Generator seed.
        public var seed: UInt64
        /// Threads for building, lookups and scans.
        public var threads: Int
        /// Token lookups to time (spread over `threads`).
        public var lookups: Int
        /// Installations for the baseline (0 skips it). Smaller than `installations` keeps
        /// the naive reference's memory in bounds on shared machines; rates are per installation.
        public var baselineInstallations: Int
        /// Installations per `upsert(contentsOf:)` call while building.
        public var buildChunk: Int

        /// Creates options.
        public init(installations: Int, seed: UInt64, threads: Int = 2, lookups: Int = 4_000_000, baselineInstallations: Int? = nil,
                    buildChunk: Int = 512) {
            precondition(buildChunk > 0, "buildChunk must be positive")
            self.buildChunk = buildChunk
            self.installations = installations
            self.seed = seed
            self.threads = threads
            self.lookups = lookups
            self.baselineInstallations = baselineInstallations ?? min(installations, 2_000_000)
        }
    }

    /// Figures for one store.
    public struct Figures: Sendable {
        /// Installations built.
        public var installations = 0
        /// Seconds to build them.
        public var buildSeconds = 0.0
        /// Process CPU seconds (all threads) spent building: the cost once other load is removed.
        public var buildCPUSeconds = 0.0
        /// Seconds the same threads take to only generate the installations, in the same chunks
        /// (the part of `buildSeconds` that is the generator, measured in the same run).
        public var generateSeconds = 0.0
        /// Process CPU seconds of that generation.
        public var generateCPUSeconds = 0.0
        /// Process CPU seconds of the ID token lookups.
        public var lookupCPUSeconds = 0.0
        /// Process CPU seconds of the attribute scan.
        public var scanCPUSeconds = 0.0
        /// Resident memory growth over the build, per installation.
        public var bytesPerInstallation = 0.0
        /// Seconds to write `tier` and `age` for every user.
        public var attributeSeconds = 0.0
        /// Resident memory growth over the attribute writes, per user written.
        public var attributeBytesPerUser = 0.0
        /// Token lookups per second over all threads, answering the installation ID.
        public var lookupsPerSecond = 0.0
        /// Token lookups per second over all threads, answering the whole installation.
        public var fullLookupsPerSecond = 0.0
        /// Process CPU seconds of the batched token lookups.
        public var batchedLookupCPUSeconds = 0.0
        /// Token lookups per second over all threads, 8,192 tokens per call, answering IDs.
        public var batchedLookupsPerSecond = 0.0
        /// Seconds of the scan `tier = gold AND age > 30`, yielding the matches in batches.
        public var scanSeconds = 0.0
        /// Installations it yielded.
        public var scanMatches = 0
        /// Seconds of the same two-attribute scan through `scanTargets` (what a send reads:
        /// `TargetRecord`s of installations with a token). Index only.
        public var targetScanSeconds = 0.0
        /// Process CPU seconds of that scan.
        public var targetScanCPUSeconds = 0.0
        /// Records it yielded.
        public var targetScanMatches = 0
        /// Seconds of the scan `language = fr AND opt-in`.
        public var fieldScanSeconds = 0.0
        /// Installations it yielded.
        public var fieldScanMatches = 0

        /// Build rate.
        public var buildPerSecond: Double { Double(installations) / buildSeconds }
        /// Scan cost per installation scanned, in nanoseconds.
        public var scanNanosecondsPerInstallation: Double { scanSeconds * 1e9 / Double(max(installations, 1)) }
    }

    /// The result of one run.
    public struct Result: Sendable {
        /// The options run.
        public var options: Options
        /// The sharded index.
        public var index = Figures()
        /// The naive reference, when run.
        public var baseline: Figures?
        /// The memory cost of a one-at-a-time token lookup, measured after the index is freed:
        /// serial chains of two dependent random reads (an 8-byte slot in a table the size of the
        /// token table, then a 96-byte row in an array the size of the rows), steps per second over
        /// all threads. A lookup does the same two reads plus hashing and two lock round trips
        /// (each a full barrier on x86, so consecutive lookups overlap little).
        public var dependentReadPairsPerSecond = 0.0
        /// Row shards of the index built (it has as many key shards).
        public var shards = 0
        /// Peak resident memory of the process (filled by the caller, which knows the OS).
        public var peakRSSBytes = 0
    }

    /// The benchmark's two-attribute segment.
    public static let attributeSegment = Segment.and([
        .attribute(InstallationGenerator.tierName, .equals(.string("gold"))),
        .attribute(InstallationGenerator.ageName, .greaterThan(.int(30))),
    ])

    /// The benchmark's installation-field segment.
    public static let fieldSegment = Segment.and([.language(try! LanguageCode("fr")), .pushOptIn(true)])

    /// Seconds since `start` (``monotonicNanoseconds()``).
    static func seconds(since start: UInt64) -> Double { Double(monotonicNanoseconds() &- start) / 1e9 }

    /// Runs `body(thread, range)` over `0..<count` split into `threads` contiguous ranges.
    static func parallel(_ count: Int, threads: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            body(t, (t * count / threads)..<((t + 1) * count / threads))
        }
    }

    /// Runs the benchmark. `residentBytes` reads the process's current resident memory.
    /// `cpuSeconds` reads the process's CPU time (user + system, all threads).
    public static func run(_ options: Options, residentBytes: @Sendable () -> Int, cpuSeconds: @Sendable () -> Double) throws -> Result {
        var result = Result(options: options)
        let generator = InstallationGenerator(seed: options.seed)
        let threads = options.threads

        // Tokens to look up: a deterministic sample of existing installations.
        let sampleSize = min(options.installations, 1_000_000)
        let sample = (0..<sampleSize).map { generator.token(Int(UInt64($0) &* 2_654_435_761 % UInt64(options.installations))) }

        do {
            var f = Figures()
            f.installations = options.installations
            let chunk = options.buildChunk
            // The generator alone, as the build runs it: what building costs on top of it.
            let generateStart = monotonicNanoseconds()
            let generateCPU0 = cpuSeconds()
            parallel(options.installations, threads: threads) { _, range in
                var lo = range.lowerBound
                var checksum = 0
                while lo < range.upperBound {
                    let hi = min(lo + chunk, range.upperBound)
                    checksum &+= (lo..<hi).map { generator.installation($0) }.count { $0.customID != nil }
                    lo = hi
                }
                precondition(checksum >= 0)
            }
            f.generateSeconds = seconds(since: generateStart)
            f.generateCPUSeconds = cpuSeconds() - generateCPU0

            let rss0 = residentBytes()
            // The default shard count for the machine (see `defaultShardCount`).
            let configuration = ShardedIndex.Configuration(expectedInstallations: options.installations)
            let index = ShardedIndex(configuration: configuration)
            result.shards = configuration.rowShards
            let start = monotonicNanoseconds()
            let cpu0 = cpuSeconds()
            // The bulk path (`upsert(contentsOf:)`), as a loader or resync would use it: each
            // thread generates chunks of `buildChunk` installations and upserts each in one call.
            parallel(options.installations, threads: threads) { _, range in
                var lo = range.lowerBound
                while lo < range.upperBound {
                    let hi = min(lo + chunk, range.upperBound)
                    _ = try! index.upsert(contentsOf: (lo..<hi).map { generator.installation($0) })
                    lo = hi
                }
            }
            f.buildSeconds = seconds(since: start)
            f.buildCPUSeconds = cpuSeconds() - cpu0
            f.bytesPerInstallation = Double(residentBytes() - rss0) / Double(options.installations)
            precondition(index.count == options.installations, "build lost installations")

            let rss1 = residentBytes()
            let users = Atomic<Int>(0)
            let attributesStart = monotonicNanoseconds()
            parallel(options.installations, threads: threads) { _, range in
                var n = 0
                for i in range {
                    guard let user = generator.customID(i) else { continue }
                    _ = try! index.setAttributes(generator.attributes(i), for: user)
                    n += 1
                }
                users.add(n, ordering: .relaxed)
            }
            f.attributeSeconds = seconds(since: attributesStart)
            f.attributeBytesPerUser = Double(residentBytes() - rss1) / Double(max(users.load(ordering: .relaxed), 1))

            let perThread = options.lookups / threads
            for full in [false, true] {
                let hits = Atomic<Int>(0)
                let lookupStart = monotonicNanoseconds()
                let cpu0 = cpuSeconds()
                parallel(threads, threads: threads) { t, _ in
                    var n = 0
                    var j = t * sampleSize / threads
                    for _ in 0..<perThread {
                        let found = full ? index.installation(forToken: sample[j]) != nil : index.installationID(forToken: sample[j]) != nil
                        if found { n += 1 }
                        j += 1
                        if j == sampleSize { j = 0 }
                    }
                    hits.add(n, ordering: .relaxed)
                }
                let rate = Double(perThread * threads) / seconds(since: lookupStart)
                if full { f.fullLookupsPerSecond = rate } else { f.lookupsPerSecond = rate; f.lookupCPUSeconds = cpuSeconds() - cpu0 }
                precondition(hits.load(ordering: .relaxed) == perThread * threads, "token lookups missed")
            }

            do {
                let batch = 8192
                let rounds = max(1, perThread / batch)
                let hits = Atomic<Int>(0)
                let lookupStart = monotonicNanoseconds()
                let cpu0 = cpuSeconds()
                parallel(threads, threads: threads) { t, _ in
                    var n = 0
                    var j = (t * sampleSize / threads) / batch * batch
                    for _ in 0..<rounds {
                        if j + batch > sampleSize { j = 0 }
                        n += index.installationIDs(forTokens: Array(sample[j..<min(j + batch, sampleSize)])).count { $0 != nil }
                        j += batch
                    }
                    hits.add(n, ordering: .relaxed)
                }
                let total = rounds * threads * min(batch, sampleSize)
                f.batchedLookupsPerSecond = Double(total) / seconds(since: lookupStart)
                f.batchedLookupCPUSeconds = cpuSeconds() - cpu0
                precondition(hits.load(ordering: .relaxed) == total, "batched token lookups missed")
            }

            let scanStart = monotonicNanoseconds()
            let scanCPU0 = cpuSeconds()
            f.scanMatches = try index.scan(attributeSegment, batchSize: 1024, parallelism: threads) { batch in
                precondition(!batch.isEmpty)
            }
            f.scanSeconds = seconds(since: scanStart)
            f.scanCPUSeconds = cpuSeconds() - scanCPU0
            let targetStart = monotonicNanoseconds()
            let targetCPU0 = cpuSeconds()
            f.targetScanMatches = try index.scanTargets(attributeSegment, batchSize: 1024, parallelism: threads) { batch in
                precondition(!batch.isEmpty)
                return true
            }
            f.targetScanSeconds = seconds(since: targetStart)
            f.targetScanCPUSeconds = cpuSeconds() - targetCPU0
            let fieldStart = monotonicNanoseconds()
            f.fieldScanMatches = try index.scan(fieldSegment, batchSize: 1024, parallelism: threads) { batch in
                precondition(!batch.isEmpty)
            }
            f.fieldScanSeconds = seconds(since: fieldStart)
            result.index = f
            withExtendedLifetime(index) {}
        }
        result.dependentReadPairsPerSecond = dependentReadPairs(installations: options.installations, threads: threads,
                                                                      pairs: options.lookups)

        if options.baselineInstallations > 0 {
            var f = Figures()
            let n = options.baselineInstallations
            f.installations = n
            let rss0 = residentBytes()
            let baseline = DictionaryBaseline()
            let start = monotonicNanoseconds()
            let cpu0 = cpuSeconds()
            parallel(n, threads: threads) { _, range in
                for i in range { baseline.upsert(generator.installation(i)) }
            }
            f.buildSeconds = seconds(since: start)
            f.buildCPUSeconds = cpuSeconds() - cpu0
            f.bytesPerInstallation = Double(residentBytes() - rss0) / Double(n)
            let rss1 = residentBytes()
            let users = Atomic<Int>(0)
            let attributesStart = monotonicNanoseconds()
            parallel(n, threads: threads) { _, range in
                var written = 0
                for i in range {
                    guard let user = generator.customID(i) else { continue }
                    baseline.setAttributes(generator.attributes(i), for: user)
                    written += 1
                }
                users.add(written, ordering: .relaxed)
            }
            f.attributeSeconds = seconds(since: attributesStart)
            f.attributeBytesPerUser = Double(residentBytes() - rss1) / Double(max(users.load(ordering: .relaxed), 1))

            let baselineSample = (0..<min(n, sampleSize)).map { generator.token(Int(UInt64($0) &* 2_654_435_761 % UInt64(n))) }
            let perThread = options.lookups / threads
            let hits = Atomic<Int>(0)
            let lookupStart = monotonicNanoseconds()
            let lookupCPU0 = cpuSeconds()
            parallel(threads, threads: threads) { t, _ in
                var found = 0
                var j = t * baselineSample.count / threads
                for _ in 0..<perThread {
                    if baseline.installation(forToken: baselineSample[j]) != nil { found += 1 }
                    j += 1
                    if j == baselineSample.count { j = 0 }
                }
                hits.add(found, ordering: .relaxed)
            }
            f.lookupsPerSecond = Double(perThread * threads) / seconds(since: lookupStart)
            f.lookupCPUSeconds = cpuSeconds() - lookupCPU0
            f.fullLookupsPerSecond = f.lookupsPerSecond  // the dictionary answers the whole value either way
            precondition(hits.load(ordering: .relaxed) == perThread * threads, "baseline lookups missed")
            let scanStart = monotonicNanoseconds()
            let scanCPU0 = cpuSeconds()
            f.scanMatches = baseline.scanGoldOver30(batchSize: 1024) { batch in precondition(!batch.isEmpty) }
            f.scanSeconds = seconds(since: scanStart)
            f.scanCPUSeconds = cpuSeconds() - scanCPU0
            let fieldStart = monotonicNanoseconds()
            f.fieldScanMatches = baseline.scanFrenchOptedIn(batchSize: 1024) { batch in precondition(!batch.isEmpty) }
            f.fieldScanSeconds = seconds(since: fieldStart)
            result.baseline = f
            withExtendedLifetime(baseline) {}
        }
        return result
    }
}

extension IndexBenchmark {
    /// Two dependent random reads per step, as a token lookup does them (a table slot, then the
    /// row it names), over a table and a row array of the index's sizes for `installations`;
    /// steps per second over `threads` threads, `pairs` steps in all.
    static func dependentReadPairs(installations: Int, threads: Int, pairs: Int) -> Double {
        let rowWords = ShardedIndex.rowStride / 8
        let rowCount = max(installations, 1024)
        let slotCount = Int(Double(rowCount) / ShardedIndex.tokenTablePresizeLoad) + 1
        // Slots name random rows; each row's first word is random (it picks the next slot).
        var slots = [UInt64](repeating: 0, count: slotCount)
        var rows = [UInt64](repeating: 0, count: rowCount * rowWords)
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        for i in 0..<slotCount { slots[i] = random.next() % UInt64(rowCount) }
        for r in 0..<rowCount { rows[r * rowWords] = random.next() }
        let perThread = max(1, pairs / threads)
        let ends = Atomic<Int>(0)
        let start = monotonicNanoseconds()
        slots.withUnsafeBufferPointer { slots in
            rows.withUnsafeBufferPointer { rows in
                let s = UnsafeSendable(slots), r = UnsafeSendable(rows)
                parallel(threads, threads: threads) { t, _ in
                    // The next slot depends on the row just read, and on the step: a chain that
                    // only followed stored values would soon run round a short cycle, in cache.
                    let count = UInt64(s.buffer.count)
                    var j = UInt64(t) &* 7_919 % count
                    for k in 0..<UInt64(perThread) {
                        let x = r.buffer[Int(s.buffer[Int(j)]) * rowWords] &+ k &* 0x9E37_79B9_7F4A_7C15
                        j = x.multipliedFullWidth(by: count).high
                    }
                    ends.add(Int(truncatingIfNeeded: j), ordering: .relaxed)  // keeps the chain's result live
                }
            }
        }
        let elapsed = seconds(since: start)
        _ = ends.load(ordering: .relaxed)
        return Double(perThread * threads) / elapsed
    }
}

/// Read-only buffers handed to benchmark threads (nothing writes them while they run).
private struct UnsafeSendable: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt64>
    init(_ buffer: UnsafeBufferPointer<UInt64>) { self.buffer = buffer }
}
