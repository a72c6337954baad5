import PushModel
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import PushSync

/// Custom audiences by name. Guarded by its own lock, never held with another.
struct AudienceStore: Sendable {
    var sets: [AudienceName: (kind: AudienceKind, keys: KeySet)] = [:]
}

/// The in-memory index of one app's installations, custom attributes and audiences,
/// safe to use from many threads at once.
///
/// ## Layout
/// Installations live in a power-of-two number of *row shards*, chosen by the hash of the
/// installation ID; each row is 96 packed bytes (no `String` or object per installation).
/// Secondary keys — tokens, advertising IDs, custom IDs with their attributes — live in a
/// second power-of-two set of *key shards*, chosen by the hash of that key. Every key is
/// hashed once: low bits pick the shard, high bits are the table fingerprint.
///
/// ## Locking
/// Each shard is a `Synchronization.Mutex`. Lock order is fixed: at most one row shard,
/// then at most one key shard inside it; the attribute registry and the audience store are
/// only taken alone. Lookups by secondary key read candidates in the key shard, release it,
/// then confirm each candidate under its row shard. Whole-index passes take shards one at
/// a time, in order. No lock is held while a scan's body runs.
///
/// ## Mutations
/// Every change goes through `apply(_:)`; the convenience methods call it. The engine's
/// command path (`PushApp.apply`) orders changes, numbers them and lets a journal refuse them
/// before they reach this funnel.
public final class ShardedIndex: Sendable {

    let rowShards: [Locked<RowShard>]
    let keyShards: [Locked<KeyShard>]
    let registry = Locked(AttributeRegistry())
    let audienceStore = Locked(AudienceStore())
    let hasher: KeyHasher
    let rowShardMask: Int
    let keyShardMask: Int
    let rowBits: UInt32
    let recordBits: UInt32

    /// Creates an empty index.
    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.rowShards > 0 && configuration.rowShards & (configuration.rowShards - 1) == 0,
                     "rowShards must be a power of two")
        precondition(configuration.keyShards > 0 && configuration.keyShards & (configuration.keyShards - 1) == 0,
                     "keyShards must be a power of two")
        let seed = configuration.hashSeed ?? UInt64.random(in: .min ... .max)
        hasher = KeyHasher(seed: seed)
        rowShardMask = configuration.rowShards - 1
        keyShardMask = configuration.keyShards - 1
        rowBits = 32 - UInt32(configuration.rowShards.trailingZeroBitCount)
        recordBits = 32 - UInt32(configuration.keyShards.trailingZeroBitCount)
        let perRowShard = configuration.expectedInstallations / configuration.rowShards
        let perKeyShard = configuration.expectedInstallations / configuration.keyShards
        rowShards = (0..<configuration.rowShards).map { _ in Locked(RowShard(expected: perRowShard, seed: seed)) }
        let hasher = self.hasher
        keyShards = (0..<configuration.keyShards).map { _ in
            Locked(KeyShard(expectedTokens: perKeyShard,
                            expectedAdvertising: Int(Double(perKeyShard) * configuration.expectedAdvertisingIDShare),
                            expectedCustom: Int(Double(perKeyShard) * configuration.expectedCustomIDShare), hasher: hasher))
        }
    }

    // MARK: References

    var maxRowsPerShard: Int { Int((UInt64(1) << rowBits) - 1) }
    var maxRecordsPerShard: Int { Int((UInt64(1) << recordBits) - 1) }

    @inline(__always) func rowShardIndex(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h) & rowShardMask }
    @inline(__always) func keyShardIndex(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h) & keyShardMask }
    @inline(__always) func rowRef(_ shard: Int, _ row: UInt32) -> UInt32 { rowBits == 32 ? row : UInt32(shard) << rowBits | row }
    @inline(__always) func shard(ofRow ref: UInt32) -> Int { rowBits == 32 ? 0 : Int(ref >> rowBits) }
    @inline(__always) func row(ofRef ref: UInt32) -> UInt32 { rowBits == 32 ? ref : ref & ((1 << rowBits) - 1) }
    @inline(__always) func recordRef(_ shard: Int, _ record: UInt32) -> UInt32 {
        recordBits == 32 ? record : UInt32(shard) << recordBits | record
    }
    @inline(__always) func shard(ofRecord ref: UInt32) -> Int { recordBits == 32 ? 0 : Int(ref >> recordBits) }
    @inline(__always) func record(ofRef ref: UInt32) -> UInt32 { recordBits == 32 ? ref : ref & ((1 << recordBits) - 1) }

    // MARK: Materialising

    /// The custom ID of a row (takes its key shard's lock; call under the row's shard lock).
    func customID(of row: Row) -> CustomID? {
        guard row.customRef != Row.none else { return nil }
        let record = record(ofRef: row.customRef)
        return keyShards[shard(ofRecord: row.customRef)].withLock { $0.customID(record) }
    }

    /// Rebuilds an `Installation` from a row (call under the row's shard lock).
    func installation(_ row: Row, in s: borrowing RowShard, resolvingCustomID: Bool = true) -> Installation {
        var advertisingID: AdvertisingID? = nil
        if row.has(Row.hasAdvertisingID) {
            advertisingID = AdvertisingID(unchecked: UUIDBytes(hi: row.advHi, lo: row.advLo),
                                          letterCase: row.has(Row.upperCaseAdvertisingID) ? .upper : .lower)
        }
        return Installation(
            id: s.installationID(row),
            platform: row.has(Row.android) ? .android : .iOS,
            token: s.token(row),
            customID: resolvingCustomID ? customID(of: row) : nil,
            advertisingID: advertisingID,
            pushOptIn: row.has(Row.optIn),
            language: row.language == 0 ? nil : LanguageCode(packed: row.language),
            region: row.region == 0 ? nil : RegionCode(packed: row.region),
            timeZone: s.strings[row.timeZone].map { TimeZoneID(unchecked: $0) },
            appVersion: s.strings[row.appVersion].map { AppVersion(unchecked: $0) },
            createdAt: Timestamp(secondsSince1970: Int64(row.createdAt)),
            lastSeenAt: Timestamp(secondsSince1970: Int64(row.lastSeenAt)),
            tokenRegisteredAt: Timestamp(millisecondsSince1970: row.tokenRegisteredAt))
    }

    /// Reads the custom IDs behind `refs` (custom-record references, `Row.none` for none),
    /// taking each key shard's lock once: the record reads of one shard overlap instead of
    /// queueing behind one lock round-trip each. Call under the lock of the row shard the
    /// references were read from, so no record can be freed and reused meanwhile.
    func customIDs(_ refs: [UInt32], _ assign: (Int, CustomID) -> Void) {
        let n = refs.count
        guard n > 0 else { return }
        let byShard = Self.bucketed(n, buckets: keyShards.count + 1) { i in
            refs[i] == Row.none ? keyShards.count : shard(ofRecord: refs[i])
        }
        // Two passes: the first loads every record and its bytes (independent misses that
        // overlap across the whole batch), the second, finding them cached, builds the IDs.
        // Each pass reads under the key shard's lock; only the second keeps what it read.
        if n >= 64 {
            for k in keyShards.indices where byShard.starts[k] < byShard.starts[k + 1] {
                keyShards[k].withLock { ks in
                    var sink: UInt64 = 0
                    for j in byShard.starts[k]..<byShard.starts[k + 1] {
                        sink ^= ks.touchCustomID(record(ofRef: refs[byShard.order[j]]))
                    }
                    ks.touchSink ^= sink
                }
            }
        }
        for k in keyShards.indices where byShard.starts[k] < byShard.starts[k + 1] {
            keyShards[k].withLock { ks in
                for j in byShard.starts[k]..<byShard.starts[k + 1] {
                    let i = byShard.order[j]
                    assign(i, ks.customID(record(ofRef: refs[i])))
                }
            }
        }
    }

}
