internal import CNGHTTP2

/// A list of header fields encoded once and shared by many requests: the constant part of a
/// campaign's requests (`apns-topic`, `apns-push-type`, `authorization`, …). Submitting a
/// request that carries a block copies no header strings; only `:path` and the request's own
/// `headers` are written per request.
///
/// `@unchecked Sendable`: the byte storage and the field table are written once in `init` and
/// never mutated; `deinit` frees them when the last request holding the block is gone.
public final class HTTP2HeaderBlock: @unchecked Sendable {
    private let storage: UnsafeMutableRawPointer
    private let table: [(name: Int, nameLength: Int, value: Int, valueLength: Int, flags: UInt8)]
    /// The fields, as given.
    public let fields: [HTTP2HeaderField]

    /// Encodes `fields` (lower-case names). Fields named in `sensitive` are never HPACK-indexed.
    public init(_ fields: [HTTP2HeaderField], sensitive: Set<String> = []) {
        self.fields = fields
        let total = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 1)
        self.storage = storage
        var offset = 0
        var t: [(Int, Int, Int, Int, UInt8)] = []
        for f in fields {
            let n = Array(f.name.utf8), v = Array(f.value.utf8)
            n.withUnsafeBytes { (storage + offset).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(storage), byteCount: n.count) }
            let vo = offset + n.count
            v.withUnsafeBytes { (storage + vo).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(storage), byteCount: v.count) }
            let flags = (f.neverIndex || sensitive.contains(f.name)) ? UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue) : 0
            t.append((offset, n.count, vo, v.count, flags))
            offset = vo + v.count
        }
        table = t
    }

    deinit { storage.deallocate() }

    /// Number of fields.
    public var count: Int { table.count }

    func nv(_ i: Int) -> nghttp2_nv {
        let e = table[i]
        let b = storage.assumingMemoryBound(to: UInt8.self)
        return nghttp2_nv(name: b + e.name, value: b + e.value, namelen: e.nameLength, valuelen: e.valueLength, flags: e.flags)
    }
}
