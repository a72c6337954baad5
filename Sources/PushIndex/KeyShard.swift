import PushModel

/// The stored type code of an attribute entry.
enum StoredType: UInt8, Sendable {
    case string = 1, int, double, bool, date, tags
    /// A string of at most 7 bytes held in the payload (bytes little-endian, length in the top byte).
    case shortString

    init(_ t: AttributeType) {
        switch t {
        case .string: self = .string
        case .int: self = .int
        case .double: self = .double
        case .bool: self = .bool
        case .date: self = .date
        case .tags: self = .tags
        }
    }
}

/// One attribute of one custom ID: 16 bytes. Strings and tag sets point into the key
/// shard's arena (`payload` = offset << 16 | length); numbers are stored in place.
struct AttributeEntry: Sendable {
    var payload: UInt64
    var name: UInt16
    var type: StoredType
}

/// One custom user ID: its bytes, the installations carrying it (two inline, more in
/// `extraDevices`), and its attributes.
struct CustomRecord: Sendable {
    var idOffset: UInt32 = 0
    var attributeStart: UInt32 = 0
    var device0: UInt32 = Row.none
    var device1: UInt32 = Row.none
    var idLength: UInt16 = 0
    var deviceCount: UInt16 = 0
    var attributeCount: UInt16 = 0
    var live = false
}

/// The secondary keys that hash to one shard: tokens, advertising IDs and custom IDs
/// (with their attributes). Always used under its shard's `Mutex`.
///
/// Token and advertising entries map a fingerprint to an installation reference; callers
/// confirm a candidate under the installation's row-shard lock. Custom records are exact:
/// their bytes are compared here.
struct KeyShard: Sendable {
    var tokens: FingerprintTable
    var advertising: FingerprintTable
    var customs: FingerprintTable
    var records: ContiguousArray<CustomRecord> = []
    var freeRecords: [UInt32] = []
    var arena = ByteArena()
    var attributes: ContiguousArray<AttributeEntry> = []
    var attributeGarbage = 0
    var extraDevices: [UInt32: [UInt32]] = [:]
    /// Attribute names this shard has resolved through the registry (codes and types are final).
    var knownAttributes: [String: (code: UInt16, type: AttributeType)] = [:]
    /// Where batched paths fold the slots they touch ahead of use, so the loads stay.
    var touchSink: UInt64 = 0
    let hasher: KeyHasher

    init(expectedTokens: Int, expectedAdvertising: Int, expectedCustom: Int, hasher: KeyHasher) {
        tokens = FingerprintTable(expected: expectedTokens)
        advertising = FingerprintTable(expected: expectedAdvertising)
        customs = FingerprintTable(expected: expectedCustom)
        records.reserveCapacity(shardCapacity(expectedCustom))
        self.hasher = hasher
    }

    // MARK: Custom records

    func findRecord(_ raw: UnsafeRawBufferPointer, fingerprint fp: UInt32) -> UInt32? {
        customs.first(fp) { r in
            let rec = records[Int(r)]
            return arena.equals(rec.idOffset, Int(rec.idLength), raw)
        }
    }

    func findRecord(_ id: CustomID, fingerprint fp: UInt32) -> UInt32? {
        AudienceKeys.custom(id) { findRecord($0, fingerprint: fp) }
    }

    func recordMatches(_ r: UInt32, _ id: CustomID) -> Bool {
        let rec = records[Int(r)]
        return rec.live && AudienceKeys.custom(id) { arena.equals(rec.idOffset, Int(rec.idLength), $0) }
    }

    mutating func findOrCreateRecord(_ id: CustomID, fingerprint fp: UInt32, maxRecords: Int) -> UInt32 {
        if let r = findRecord(id, fingerprint: fp) { return r }
        var rec = CustomRecord()
        rec.live = true
        rec.idLength = UInt16(id.value.utf8.count)
        rec.idOffset = AudienceKeys.custom(id) { arena.append($0) }
        let r: UInt32
        if let reused = freeRecords.popLast() {
            r = reused
            records[Int(r)] = rec
        } else {
            precondition(records.count < maxRecords, "key shard record capacity exceeded; use more shards")
            r = UInt32(records.count)
            records.append(rec)
        }
        customs.insert(fp, r)
        return r
    }

    func customID(_ r: UInt32) -> CustomID {
        let rec = records[Int(r)]
        return CustomID(unchecked: arena.with(rec.idOffset, Int(rec.idLength)) { String(decoding: $0, as: UTF8.self) })
    }

    /// Loads record `r` and the first byte of its custom ID (see `FingerprintTable.touch`).
    @inline(__always)
    func touchCustomID(_ r: UInt32) -> UInt64 {
        records.withUnsafeBufferPointer { records in
            let rec = records[Int(r)]
            return arena.bytes.withUnsafeBufferPointer { Int(rec.idOffset) < $0.count ? UInt64($0[Int(rec.idOffset)]) : 0 }
        }
    }

    func withCustomBytes<R>(_ r: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let rec = records[Int(r)]
        return arena.with(rec.idOffset, Int(rec.idLength), body)
    }

    mutating func addDevice(_ r: UInt32, _ ref: UInt32) {
        var rec = records[Int(r)]
        if rec.device0 == Row.none { rec.device0 = ref }
        else if rec.device1 == Row.none { rec.device1 = ref }
        else { extraDevices[r, default: []].append(ref) }
        rec.deviceCount += 1
        records[Int(r)] = rec
    }

    mutating func removeDevice(_ r: UInt32, _ ref: UInt32) {
        var rec = records[Int(r)]
        if rec.device0 == ref { rec.device0 = Row.none }
        else if rec.device1 == ref { rec.device1 = Row.none }
        else if var extra = extraDevices[r], let i = extra.firstIndex(of: ref) {
            extra.remove(at: i)
            extraDevices[r] = extra.isEmpty ? nil : extra
        } else {
            preconditionFailure("custom record \(r) does not list installation \(ref)")
        }
        // Keep the inline slots filled first.
        if rec.device0 == Row.none || rec.device1 == Row.none, var extra = extraDevices[r], let moved = extra.popLast() {
            if rec.device0 == Row.none { rec.device0 = moved } else { rec.device1 = moved }
            extraDevices[r] = extra.isEmpty ? nil : extra
        }
        rec.deviceCount -= 1
        records[Int(r)] = rec
        freeRecordIfUnused(r)
    }

    func devices(_ r: UInt32) -> [UInt32] {
        let rec = records[Int(r)]
        var out: [UInt32] = []
        if rec.device0 != Row.none { out.append(rec.device0) }
        if rec.device1 != Row.none { out.append(rec.device1) }
        if let extra = extraDevices[r] { out.append(contentsOf: extra) }
        return out
    }

    mutating func freeRecordIfUnused(_ r: UInt32) {
        let rec = records[Int(r)]
        guard rec.live, rec.deviceCount == 0, rec.attributeCount == 0 else { return }
        let fp = arena.with(rec.idOffset, Int(rec.idLength)) { hasher.hash($0, domain: .customID) }.fingerprint
        customs.remove(fp, r)
        arena.garbage += Int(rec.idLength)
        attributeGarbage += Int(rec.attributeCount)
        records[Int(r)] = CustomRecord()
        freeRecords.append(r)
    }

    // MARK: Attributes

    /// Resolves names from this shard's cache; nil when one is unknown here or has another type.
    func resolveCached(_ values: [AttributeName: AttributeValue]) -> [(UInt16?, AttributeName, AttributeValue)]? {
        var out: [(UInt16?, AttributeName, AttributeValue)] = []
        out.reserveCapacity(values.count)
        for (name, value) in values {
            guard let known = knownAttributes[name.value] else { return nil }
            if let type = value.type, type != known.type { return nil }
            out.append((known.code, name, value))
        }
        return out
    }

    func attributeEntries(_ r: UInt32) -> ArraySlice<AttributeEntry> {
        let rec = records[Int(r)]
        return attributes[Int(rec.attributeStart)..<Int(rec.attributeStart) + Int(rec.attributeCount)]
    }

    func decode(_ e: AttributeEntry) -> AttributeValue {
        switch e.type {
        case .int: return .int(Int64(bitPattern: e.payload))
        case .double: return .double(Double(bitPattern: e.payload))
        case .bool: return .bool(e.payload != 0)
        case .date: return .date(Timestamp(millisecondsSince1970: Int64(bitPattern: e.payload)))
        case .shortString:
            return .string(withShortString(e.payload) { String(decoding: $0, as: UTF8.self) })
        case .string:
            return .string(arena.with(UInt32(truncatingIfNeeded: e.payload >> 16), Int(e.payload & 0xFFFF)) {
                String(decoding: $0, as: UTF8.self)
            })
        case .tags:
            var tags = Set<String>()
            forEachTag(e) { tags.insert(String(decoding: $0, as: UTF8.self)) }
            return .tags(tags)
        }
    }

    /// Calls `body` with each tag of a tag-set entry (blob: count, then length-prefixed tags).
    func forEachTag(_ e: AttributeEntry, _ body: (UnsafeRawBufferPointer) -> Void) {
        arena.with(UInt32(truncatingIfNeeded: e.payload >> 16), Int(e.payload & 0xFFFF)) { blob in
            var i = 0
            while i < blob.count {
                let n = Int(blob[i])
                body(UnsafeRawBufferPointer(rebasing: blob[(i + 1)..<(i + 1 + n)]))
                i += 1 + n
            }
        }
    }

    mutating func encode(_ value: AttributeValue, name: UInt16) -> AttributeEntry? {
        switch value {
        case .null: return nil
        case .int(let v): return AttributeEntry(payload: UInt64(bitPattern: v), name: name, type: .int)
        case .double(let v): return AttributeEntry(payload: v.bitPattern, name: name, type: .double)
        case .bool(let v): return AttributeEntry(payload: v ? 1 : 0, name: name, type: .bool)
        case .date(let v): return AttributeEntry(payload: UInt64(bitPattern: v.millisecondsSince1970), name: name, type: .date)
        case .string(let s) where s.utf8.count <= 7:
            return AttributeEntry(payload: packShortString(s.utf8), name: name, type: .shortString)
        case .string(var s):
            let n = s.utf8.count
            let offset = s.withUTF8 { arena.append(UnsafeRawBufferPointer($0)) }
            return AttributeEntry(payload: UInt64(offset) << 16 | UInt64(n), name: name, type: .string)
        case .tags(let tags):
            var blob: [UInt8] = []
            for tag in tags.sorted() {
                blob.append(UInt8(tag.utf8.count))
                blob.append(contentsOf: tag.utf8)
            }
            let offset = blob.withUnsafeBytes { arena.append($0) }
            return AttributeEntry(payload: UInt64(offset) << 16 | UInt64(blob.count), name: name, type: .tags)
        }
    }

    /// Replaces the attribute list of record `r` by `entries` (sorted by name).
    mutating func setEntries(_ r: UInt32, _ entries: [AttributeEntry]) {
        var rec = records[Int(r)]
        attributeGarbage += Int(rec.attributeCount)
        rec.attributeStart = UInt32(attributes.count)
        rec.attributeCount = UInt16(entries.count)
        attributes.append(contentsOf: entries)
        records[Int(r)] = rec
    }

    /// Rewrites the attribute list and arena without garbage when more than half is garbage.
    mutating func compactIfNeeded() {
        let attributesWasteful = attributeGarbage > 4096 && attributeGarbage * 2 > attributes.count
        let arenaWasteful = arena.garbage > 64 * 1024 && arena.garbage * 2 > arena.bytes.count
        guard attributesWasteful || arenaWasteful else { return }
        var freshArena = ByteArena(reserving: arena.bytes.count - arena.garbage)
        var freshAttributes = ContiguousArray<AttributeEntry>()
        freshAttributes.reserveCapacity(attributes.count - attributeGarbage)
        for i in records.indices where records[i].live {
            var rec = records[i]
            rec.idOffset = arena.with(rec.idOffset, Int(rec.idLength)) { freshArena.append($0) }
            let start = freshAttributes.count
            for var e in attributes[Int(rec.attributeStart)..<Int(rec.attributeStart) + Int(rec.attributeCount)] {
                if e.type == .string || e.type == .tags {
                    let n = Int(e.payload & 0xFFFF)
                    let offset = arena.with(UInt32(truncatingIfNeeded: e.payload >> 16), n) { freshArena.append($0) }
                    e.payload = UInt64(offset) << 16 | UInt64(n)
                }
                freshAttributes.append(e)
            }
            rec.attributeStart = UInt32(start)
            records[i] = rec
        }
        arena = freshArena
        attributes = freshAttributes
        attributeGarbage = 0
    }

    var memoryBytes: Int {
        tokens.memoryBytes + advertising.memoryBytes + customs.memoryBytes
            + records.capacity * MemoryLayout<CustomRecord>.stride + arena.memoryBytes
            + attributes.capacity * MemoryLayout<AttributeEntry>.stride + freeRecords.capacity * 4
    }
}

/// Packs at most 7 bytes into a payload: bytes little-endian, length in the top byte.
@inline(__always)
func packShortString(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var payload: UInt64 = 0
    var n: UInt64 = 0
    for b in bytes {
        payload |= UInt64(b) << (8 * n)
        n += 1
    }
    return payload | n << 56
}

/// Calls `body` with the bytes of a short-string payload.
@inline(__always)
func withShortString<R>(_ payload: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    var words = payload & 0x00FF_FFFF_FFFF_FFFF
    let n = Int(payload >> 56)
    return withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
}
