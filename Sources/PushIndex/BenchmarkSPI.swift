// What the benchmark drivers in PushBench need to size their reference workloads like the index,
// and nothing else. Not API: `@_spi(Benchmark) import PushIndex` to see it.

extension ShardedIndex {
    /// Bytes of one installation row.
    @_spi(Benchmark) public static var rowStride: Int { MemoryLayout<Row>.stride }

    /// The load factor key tables are sized for when the expected count is known.
    @_spi(Benchmark) public static var tokenTablePresizeLoad: Double { FingerprintTable.presizeLoad }
}
