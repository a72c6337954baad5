/// A set of byte-string keys (custom IDs, or UUID / opaque installation keys as
/// `AudienceKeys` spells them): one arena, 8-byte offsets, a fingerprint table.
///
/// A value with copy-on-write storage: a scan snapshots an audience in O(1) and tests
/// membership without any lock.
struct KeySet: Sendable {
    private var table = FingerprintTable()
    private var spans: ContiguousArray<UInt64> = []
    private var arena = ByteArena()
    private(set) var count = 0
    private var removed = 0
    let hasher: KeyHasher

    private static let tombstone = UInt64.max

    init(hasher: KeyHasher) { self.hasher = hasher }

    @inline(__always)
    private func find(_ key: UnsafeRawBufferPointer, _ fp: UInt32) -> UInt32? {
        table.first(fp) { i in
            let span = spans[Int(i)]
            return span != Self.tombstone && arena.equals(UInt32(truncatingIfNeeded: span >> 16), Int(span & 0xFFFF), key)
        }
    }

    /// Whether `key` is in the set.
    @inline(__always)
    func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        find(key, hasher.hash(key, domain: .audienceKey).fingerprint) != nil
    }

    /// Adds `key`; returns false when it was already there.
    @discardableResult
    mutating func insert(_ key: UnsafeRawBufferPointer) -> Bool {
        let fp = hasher.hash(key, domain: .audienceKey).fingerprint
        if find(key, fp) != nil { return false }
        let offset = arena.append(key)
        spans.append(UInt64(offset) << 16 | UInt64(key.count))
        table.insert(fp, UInt32(spans.count - 1))
        count += 1
        return true
    }

    /// Removes `key`; returns false when it was not there.
    @discardableResult
    mutating func remove(_ key: UnsafeRawBufferPointer) -> Bool {
        let fp = hasher.hash(key, domain: .audienceKey).fingerprint
        guard let i = find(key, fp) else { return false }
        table.remove(fp, i)
        arena.garbage += key.count
        spans[Int(i)] = Self.tombstone
        count -= 1
        removed += 1
        if removed > 1024 && removed > count { rebuild() }
        return true
    }

    /// Calls `body` with every key.
    func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        for span in spans where span != Self.tombstone {
            arena.with(UInt32(truncatingIfNeeded: span >> 16), Int(span & 0xFFFF), body)
        }
    }

    private mutating func rebuild() {
        var fresh = KeySet(hasher: hasher)
        forEach { fresh.insert($0) }
        self = fresh
    }
}
