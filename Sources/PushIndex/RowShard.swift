import PushModel

/// One installation, packed: 96 bytes, no references. Variable-length parts (opaque IDs,
/// tokens over 32 bytes) live in the shard's byte arena; the custom ID lives in its key shard.
struct Row: Sendable {
    /// UUID halves, or for an opaque ID: arena offset and length.
    var idHi: UInt64 = 0
    var idLo: UInt64 = 0
    /// A token of up to 32 bytes inline (little-endian words); longer: `tok0` = arena offset.
    var tok0: UInt64 = 0
    var tok1: UInt64 = 0
    var tok2: UInt64 = 0
    var tok3: UInt64 = 0
    var advHi: UInt64 = 0
    var advLo: UInt64 = 0
    /// Milliseconds since the epoch.
    var tokenRegisteredAt: Int64 = 0
    /// Seconds since the epoch.
    var createdAt: UInt32 = 0
    var lastSeenAt: UInt32 = 0
    /// Key shard and record of the custom ID, or `Row.none`.
    var customRef: UInt32 = Row.none
    var language: UInt16 = 0
    var region: UInt16 = 0
    var timeZone: UInt16 = 0
    var appVersion: UInt16 = 0
    /// 0 when the installation has no token.
    var tokenLength: UInt16 = 0
    var flags: UInt16 = 0

    static let none = UInt32.max

    static let live: UInt16 = 1 << 0
    static let android: UInt16 = 1 << 1
    static let optIn: UInt16 = 1 << 2
    static let hasAdvertisingID: UInt16 = 1 << 3
    static let opaqueID: UInt16 = 1 << 4
    static let upperCaseID: UInt16 = 1 << 5
    static let upperCaseAdvertisingID: UInt16 = 1 << 6

    @inline(__always) func has(_ flag: UInt16) -> Bool { flags & flag != 0 }
    @inline(__always) mutating func set(_ flag: UInt16, _ on: Bool) {
        if on { flags |= flag } else { flags &= ~flag }
    }
}

/// The four words of a token of up to 32 bytes, as `Row` stores them inline.
@inline(__always)
func inlineWords(_ raw: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { out in
        out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<min(raw.count, 32)]))
    }
    return words
}

/// Room for a shard's share of `expected` keys spread by hash: the mean plus five standard
/// deviations (a binomial share of n is about n ± √n). Reserving the mean alone made about
/// half the shards outgrow their array at the last percent and copy it whole to twice its size.
func shardCapacity(_ expected: Int) -> Int {
    guard expected > 0 else { return 0 }
    return expected + 5 * Int(Double(expected).squareRoot()) + 16
}

/// Seconds since the epoch, clamped into the 32 bits the row keeps (1970…2106).
@inline(__always)
func packedSeconds(_ t: Timestamp) -> UInt32 { UInt32(clamping: t.secondsSince1970) }

/// The rows of one shard (installations whose ID hashes here), their ID table, byte arena
/// and interned strings. Always used under its shard's `Mutex`.
struct RowShard: Sendable {
    var rows: ContiguousArray<Row> = []
    var freeRows: [UInt32] = []
    var ids: FingerprintTable
    var arena = ByteArena()
    var strings: StringInterner
    var liveCount = 0
    /// Where batched paths fold the slots they touch ahead of use, so the loads stay.
    var touchSink: UInt64 = 0

    init(expected: Int, seed: UInt64) {
        ids = FingerprintTable(expected: expected)
        strings = StringInterner(seed: seed)
        rows.reserveCapacity(shardCapacity(expected))
    }

    /// The row holding `id`, if any.
    func find(_ id: InstallationID, fingerprint fp: UInt32) -> UInt32? {
        switch id.storage {
        case .uuid(let u, _):
            return rows.withUnsafeBufferPointer { rows in
                ids.first(fp) { r in
                    let row = rows[Int(r)]
                    return row.idHi == u.hi && row.idLo == u.lo && row.flags & (Row.opaqueID | Row.live) == Row.live
                }
            }
        case .opaque(var s):
            return s.withUTF8 { utf8 in
                let raw = UnsafeRawBufferPointer(utf8)
                return ids.first(fp) { r in
                    let row = rows[Int(r)]
                    return row.has(Row.opaqueID) && row.has(Row.live)
                        && arena.equals(UInt32(truncatingIfNeeded: row.idHi), Int(row.idLo), raw)
                }
            }
        }
    }

    /// A fresh live row for `id`, registered in the ID table.
    mutating func allocate(_ id: InstallationID, fingerprint fp: UInt32, maxRows: Int) -> UInt32 {
        var row = Row()
        row.flags = Row.live
        switch id.storage {
        case .uuid(let u, let letterCase):
            row.idHi = u.hi
            row.idLo = u.lo
            row.set(Row.upperCaseID, letterCase == .upper)
        case .opaque(var s):
            let length = s.utf8.count
            let offset = s.withUTF8 { arena.append(UnsafeRawBufferPointer($0)) }
            row.idHi = UInt64(offset)
            row.idLo = UInt64(length)
            row.flags |= Row.opaqueID
        }
        let r: UInt32
        if let reused = freeRows.popLast() {
            r = reused
            rows[Int(r)] = row
        } else {
            precondition(rows.count < maxRows, "shard row capacity exceeded; use more shards")
            r = UInt32(rows.count)
            rows.append(row)
        }
        ids.insert(fp, r)
        liveCount += 1
        return r
    }

    /// Frees a row already detached from every key table but its ID.
    mutating func release(_ r: UInt32, fingerprint fp: UInt32) {
        let row = rows[Int(r)]
        if row.has(Row.opaqueID) { arena.garbage += Int(row.idLo) }
        if row.tokenLength > 32 { arena.garbage += Int(row.tokenLength) }
        ids.remove(fp, r)
        rows[Int(r)] = Row()
        freeRows.append(r)
        liveCount -= 1
    }

    @inline(__always)
    func withToken<R>(_ row: Row, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = Int(row.tokenLength)
        if n <= 32 {
            var words = (row.tok0, row.tok1, row.tok2, row.tok3)
            return withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return arena.with(UInt32(truncatingIfNeeded: row.tok0), n, body)
    }

    /// Whether the row's token is `token` (same bytes; the kind follows the platform).
    @inline(__always)
    func tokenEquals(_ row: Row, _ token: DeviceToken) -> Bool {
        guard row.tokenLength != 0, Int(row.tokenLength) == token.count,
              row.has(Row.android) == (token.kind == .fcm) else { return false }
        return token.withUnsafeBytes { raw in
            if raw.count <= 32 {
                let w = inlineWords(raw)
                return w.0 == row.tok0 && w.1 == row.tok1 && w.2 == row.tok2 && w.3 == row.tok3
            }
            return arena.equals(UInt32(truncatingIfNeeded: row.tok0), raw.count, raw)
        }
    }

    mutating func setToken(_ row: inout Row, _ token: DeviceToken) {
        token.withUnsafeBytes { raw in
            if raw.count <= 32 {
                (row.tok0, row.tok1, row.tok2, row.tok3) = inlineWords(raw)
            } else {
                row.tok0 = UInt64(arena.append(raw))
                row.tok1 = 0; row.tok2 = 0; row.tok3 = 0
            }
            row.tokenLength = UInt16(raw.count)
        }
    }

    mutating func clearToken(_ row: inout Row) {
        if row.tokenLength > 32 { arena.garbage += Int(row.tokenLength) }
        row.tokenLength = 0
        row.tok0 = 0; row.tok1 = 0; row.tok2 = 0; row.tok3 = 0
    }

    func token(_ row: Row) -> DeviceToken? {
        guard row.tokenLength != 0 else { return nil }
        return withToken(row) { DeviceToken(unchecked: row.has(Row.android) ? .fcm : .apns, raw: $0) }
    }

    func installationID(_ row: Row) -> InstallationID {
        if row.has(Row.opaqueID) {
            let s = arena.with(UInt32(truncatingIfNeeded: row.idHi), Int(row.idLo)) { String(decoding: $0, as: UTF8.self) }
            return InstallationID(uncheckedOpaque: s)
        }
        return InstallationID(uuid: UUIDBytes(hi: row.idHi, lo: row.idLo), letterCase: row.has(Row.upperCaseID) ? .upper : .lower)
    }

    /// The installation's key bytes as audiences store them (see `AudienceKeys`).
    func withIDKey<R>(_ row: Row, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if row.has(Row.opaqueID) {
            return arena.with(UInt32(truncatingIfNeeded: row.idHi), Int(row.idLo)) { AudienceKeys.opaque($0, body) }
        }
        return AudienceKeys.uuid(UUIDBytes(hi: row.idHi, lo: row.idLo), body)
    }

    /// Rewrites the arena without garbage when more than half of it is garbage.
    mutating func compactIfNeeded() {
        guard arena.garbage > 64 * 1024, arena.garbage * 2 > arena.bytes.count else { return }
        var fresh = ByteArena(reserving: arena.bytes.count - arena.garbage)
        for i in rows.indices where rows[i].has(Row.live) {
            if rows[i].has(Row.opaqueID) {
                let n = Int(rows[i].idLo)
                rows[i].idHi = UInt64(arena.with(UInt32(truncatingIfNeeded: rows[i].idHi), n) { fresh.append($0) })
            }
            if rows[i].tokenLength > 32 {
                let n = Int(rows[i].tokenLength)
                rows[i].tok0 = UInt64(arena.with(UInt32(truncatingIfNeeded: rows[i].tok0), n) { fresh.append($0) })
            }
        }
        arena = fresh
    }

    var memoryBytes: Int {
        rows.capacity * MemoryLayout<Row>.stride + freeRows.capacity * 4 + ids.memoryBytes + arena.memoryBytes
    }
}

/// How audiences (and scans testing audience membership) spell keys as bytes.
enum AudienceKeys {
    /// A UUID (installation or advertising ID): a tag word, then 16 big-endian bytes.
    static func uuid<R>(_ u: UUIDBytes, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // 24 bytes without padding: a tag word then the two halves.
        var key: (UInt64, UInt64, UInt64) = (1, u.hi.bigEndian, u.lo.bigEndian)
        return withUnsafeBytes(of: &key) { body($0) }
    }

    /// An opaque installation ID: its UTF-8 bytes (control characters, so byte 1, never occur in them).
    static func opaque<R>(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(raw)
    }

    static func installation<R>(_ id: InstallationID, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch id.storage {
        case .uuid(let u, _): return uuid(u, body)
        case .opaque(var s): return s.withUTF8 { opaque(UnsafeRawBufferPointer($0), body) }
        }
    }

    static func custom<R>(_ id: CustomID, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var s = id.value
        return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
