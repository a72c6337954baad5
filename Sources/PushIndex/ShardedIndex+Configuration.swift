#if canImport(Glibc)
import Glibc
#endif

extension ShardedIndex {
    /// Sizing of the index.
    public struct Configuration: Sendable {
        /// Row shards (a power of two). More shards mean less contention and finer scan work units.
        public var rowShards: Int
        /// Key shards (a power of two).
        public var keyShards: Int
        /// Installations to reserve room for: tables and row arrays are allocated once for
        /// this many, instead of growing (growing leaves freed blocks in the allocator).
        public var expectedInstallations: Int
        /// Expected fraction of installations with a custom ID (presizing only).
        public var expectedCustomIDShare: Double
        /// Expected fraction of installations with an advertising ID (presizing only).
        public var expectedAdvertisingIDShare: Double
        /// Hash seed; random when nil. Fix it only for reproducible layouts in tests.
        public var hashSeed: UInt64?

        /// The default shard count for this process: ``shardCount(cores:)`` of the CPUs it may
        /// run on (its affinity mask, so a cpuset or `taskset` counts, not the host's CPUs; the
        /// online count when the mask cannot be read). 32 on two cores.
        public static let defaultShardCount: Int = shardCount(cores: usableCores())

        /// 16 shards per core, as a power of two between 16 and 256 (the build times behind
        /// it: PERFORMANCE.md, "Index"): fewer, larger shard groups per call load more table
        /// slots together, and with 16 shards per thread two writers rarely meet on one lock.
        public static func shardCount(cores: Int) -> Int {
            var n = 16
            while n < 16 * max(1, cores) && n < 256 { n *= 2 }
            return n
        }

        /// The CPUs this process may run on. CPU quotas (cgroup `cpu.max`) are not seen.
        static func usableCores() -> Int {
            // `sched_getaffinity` is a GNU extension the Glibc module does not import: looked up.
            typealias GetAffinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer?) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") {
                let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
                var mask = [UInt64](repeating: 0, count: 16)  // 1,024 CPUs
                let ok = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress) } == 0
                let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
                if ok && count > 0 { return count }
            }
            return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        }

        /// Creates a configuration.
        public init(rowShards: Int = Configuration.defaultShardCount, keyShards: Int = Configuration.defaultShardCount,
                    expectedInstallations: Int = 0,
                    expectedCustomIDShare: Double = 0.6, expectedAdvertisingIDShare: Double = 0.5, hashSeed: UInt64? = nil) {
            self.rowShards = rowShards
            self.keyShards = keyShards
            self.expectedInstallations = expectedInstallations
            self.expectedCustomIDShare = expectedCustomIDShare
            self.expectedAdvertisingIDShare = expectedAdvertisingIDShare
            self.hashSeed = hashSeed
        }
    }
}
