/// An open-addressing multimap from a 32-bit key fingerprint to a 32-bit value (a row,
/// record or entry index), 8 bytes a slot, linear probing, tombstones on removal.
///
/// The table never stores keys: callers confirm candidates against their own storage.
/// A slot's home is derived from the fingerprint alone (`fp * capacity >> 32`, so any
/// capacity works and a presized table wastes no power-of-two slack), and the table can
/// grow without rehashing keys. Equal fingerprints may appear several times (tokens in
/// transit, advertising IDs shared by reinstalls); callers decide what a match means.
struct FingerprintTable: Sendable {
    private static let empty: UInt64 = 0
    private static let tombstone: UInt64 = 1
    /// Load factor a presized table starts at; the table grows past `maxLoad`.
    static let presizeLoad = 0.7
    static let maxLoad = 0.8

    private(set) var slots: ContiguousArray<UInt64>
    private(set) var count = 0
    private var tombstones = 0

    init(expected: Int = 0) {
        let capacity = max(16, Int(Double(expected) / Self.presizeLoad) + 1)
        slots = ContiguousArray(repeating: Self.empty, count: capacity)
    }

    @inline(__always)
    private static func home(_ fp: UInt32, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(fp) &* UInt64(capacity)) >> 32)
    }

    @inline(__always)
    private static func entry(_ fp: UInt32, _ value: UInt32) -> UInt64 { UInt64(fp) << 32 | UInt64(value) }

    /// Calls `body` with every value stored under `fp` until it returns true; returns that value.
    @inline(__always)
    func first(_ fp: UInt32, where body: (UInt32) -> Bool) -> UInt32? {
        slots.withUnsafeBufferPointer { s in
            let capacity = s.count
            var i = Self.home(fp, capacity)
            while true {
                let e = s[i]
                if e == Self.empty { return nil }
                if UInt32(truncatingIfNeeded: e >> 32) == fp {
                    let v = UInt32(truncatingIfNeeded: e)
                    if body(v) { return v }
                }
                i += 1
                if i == capacity { i = 0 }
            }
        }
    }

    /// Loads `fp`'s home slot and returns it: a software prefetch. A batch issues these for
    /// all its keys before using any, so the cache misses overlap instead of queueing.
    @inline(__always)
    func touch(_ fp: UInt32) -> UInt64 {
        slots.withUnsafeBufferPointer { $0[Self.home(fp, $0.count)] }
    }

    /// Every value stored under `fp`.
    func values(_ fp: UInt32) -> [UInt32] {
        var out: [UInt32] = []
        _ = first(fp) { out.append($0); return false }
        return out
    }

    /// Adds an entry (duplicates allowed).
    mutating func insert(_ fp: UInt32, _ value: UInt32) {
        if Double(count + tombstones + 1) > Double(slots.count) * Self.maxLoad { resize() }
        let capacity = slots.count
        var i = Self.home(fp, capacity)
        while slots[i] != Self.empty && slots[i] != Self.tombstone {
            i += 1
            if i == capacity { i = 0 }
        }
        if slots[i] == Self.tombstone { tombstones -= 1 }
        slots[i] = Self.entry(fp, value)
        count += 1
    }

    /// Removes one entry equal to (`fp`, `value`); returns whether it was there.
    @discardableResult
    mutating func remove(_ fp: UInt32, _ value: UInt32) -> Bool {
        let target = Self.entry(fp, value)
        let capacity = slots.count
        var i = Self.home(fp, capacity)
        while true {
            let e = slots[i]
            if e == Self.empty { return false }
            if e == target {
                slots[i] = Self.tombstone
                count -= 1
                tombstones += 1
                return true
            }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    /// Calls `body` with every (fingerprint, value) entry.
    func forEach(_ body: (UInt32, UInt32) -> Void) {
        for e in slots where e != Self.empty && e != Self.tombstone {
            body(UInt32(truncatingIfNeeded: e >> 32), UInt32(truncatingIfNeeded: e))
        }
    }

    /// Bytes held by the slot array.
    var memoryBytes: Int { slots.capacity * 8 }

    private mutating func resize() {
        var capacity = slots.count
        // Grow when live entries fill more than half; otherwise only clear tombstones.
        if (count + 1) * 2 > capacity { capacity *= 2 }
        let old = slots
        slots = ContiguousArray(repeating: Self.empty, count: capacity)
        tombstones = 0
        for e in old where e != Self.empty && e != Self.tombstone {
            var i = Self.home(UInt32(truncatingIfNeeded: e >> 32), capacity)
            while slots[i] != Self.empty {
                i += 1
                if i == capacity { i = 0 }
            }
            slots[i] = e
        }
    }
}

/// A growable byte arena: variable-length keys and values live here, addressed by
/// (offset, length); replaced bytes become garbage the owner compacts.
struct ByteArena: Sendable {
    private(set) var bytes: ContiguousArray<UInt8> = []
    /// Bytes no longer referenced.
    var garbage = 0

    init(reserving capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends `raw` and returns its offset.
    mutating func append(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        let offset = bytes.count
        precondition(offset + raw.count < Int(UInt32.max), "byte arena over 4 GiB in one shard")
        bytes.append(contentsOf: raw)
        return UInt32(offset)
    }

    /// Whether the bytes at (offset, length) equal `raw`.
    @inline(__always)
    func equals(_ offset: UInt32, _ length: Int, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard length == raw.count else { return false }
        return bytes.withUnsafeBytes { all in
            memcmpBytes(all.baseAddress! + Int(offset), raw.baseAddress, length)
        }
    }

    /// Calls `body` with the bytes at (offset, length).
    @inline(__always)
    func with<R>(_ offset: UInt32, _ length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[Int(offset)..<Int(offset) + length])) }
    }

    var memoryBytes: Int { bytes.capacity }
}

@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard n > 0, let b else { return true }
    if n >= 8 && n <= 16 {
        // Two overlapping word compares cover 8...16 bytes.
        return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
            && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// Interns short strings (time zones, app versions) per shard as 16-bit codes; 0 means none.
///
/// Every upsert interns two strings, so this is on the build's hot path: an open-addressing
/// table of codes, keyed by a hash of the UTF-8 bytes and confirmed against those bytes (equal
/// means equal bytes). The hash is seeded per index, as the key tables' are: app versions come
/// from clients, and a fixed hash would let crafted values pile into one probe run.
struct StringInterner: Sendable {
    private let seed: UInt64
    private(set) var strings: [String] = [""]
    /// The UTF-8 bytes of each string, at `offsets[code]..<offsets[code + 1]`.
    private var bytes: [UInt8] = []
    private var offsets: [Int] = [0, 0]
    /// Codes by hash, linear probing; 0 is empty. Its size is a power of two, at least twice the codes.
    private var table = [UInt16](repeating: 0, count: 64)

    init(seed: UInt64) { self.seed = seed }

    /// A seeded hash of the bytes: up to 16 bytes (the usual time zone or version) as two word
    /// loads and two multiplies, longer ones through `KeyHasher`.
    @inline(__always)
    private func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        let n = raw.count
        guard n <= 16 else { return KeyHasher(seed: seed).hash(raw, domain: .audienceKey) }
        var a: UInt64 = 0, b: UInt64 = 0
        if n >= 8 {
            a = raw.loadUnaligned(as: UInt64.self)
            b = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else {
            for i in 0..<n { a |= UInt64(raw[i]) << (8 * UInt64(i)) }
        }
        // The seed goes into both factors, so no chosen input fixes the multiplier.
        let m = KeyHasher.mix(a ^ seed ^ UInt64(n) &* 0x9E37_79B9_7F4A_7C15, b ^ (seed << 32 | seed >> 32) ^ 0xBF58_476D_1CE4_E5B9)
        return KeyHasher.mix(m, 0x94D0_49BB_1331_11EB)
    }

    /// The code for `s`, adding it when new; 0 when the table is full (65,534 distinct values).
    @inline(__always)
    mutating func code(_ s: String) -> UInt16 {
        if let c = s.utf8.withContiguousStorageIfAvailable({ code(UnsafeRawBufferPointer($0), s) }) { return c }
        var text = s
        return text.withUTF8 { code(UnsafeRawBufferPointer($0), s) }
    }

    private mutating func code(_ raw: UnsafeRawBufferPointer, _ s: String) -> UInt16 {
        let n = raw.count
        let found: UInt16? = table.withUnsafeBufferPointer { table in
            offsets.withUnsafeBufferPointer { offsets in
                bytes.withUnsafeBytes { bytes in
                    let mask = table.count - 1
                    var i = Int(truncatingIfNeeded: hash(raw)) & mask
                    while true {
                        let c = table[i]
                        if c == 0 { return nil }
                        let start = offsets[Int(c)]
                        if offsets[Int(c) + 1] - start == n, n == 0 || memcmpBytes(bytes.baseAddress! + start, raw.baseAddress, n) {
                            return c
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
        if let found { return found }
        guard strings.count < Int(UInt16.max) else { return 0 }
        let c = UInt16(strings.count)
        strings.append(s)
        bytes.append(contentsOf: raw)
        offsets.append(bytes.count)
        var i = Int(truncatingIfNeeded: hash(raw)) & (table.count - 1)
        while table[i] != 0 { i = (i + 1) & (table.count - 1) }
        table[i] = c
        if strings.count * 2 > table.count { rehash() }
        return c
    }

    private mutating func rehash() {
        var fresh = [UInt16](repeating: 0, count: table.count * 2)
        let mask = fresh.count - 1
        bytes.withUnsafeBytes { all in
            for c in 1..<strings.count {
                let raw = UnsafeRawBufferPointer(rebasing: all[offsets[c]..<offsets[c + 1]])
                var i = Int(truncatingIfNeeded: hash(raw)) & mask
                while fresh[i] != 0 { i = (i + 1) & mask }
                fresh[i] = UInt16(c)
            }
        }
        table = fresh
    }

    subscript(code: UInt16) -> String? { code == 0 ? nil : strings[Int(code)] }
}
