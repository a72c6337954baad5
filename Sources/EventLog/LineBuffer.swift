import PushModel

/// Formatted event lines waiting for the file: the writer formats lines into it and one
/// `write(2)` drains it from the front (`drained`; a short write leaves the rest for the next try).
///
/// Not thread-safe: each buffer belongs to one day file, which belongs to the writer thread.
/// Appends do not check capacity one by one: the formatter reserves room for a whole line
/// (``EventLineFormatter/maximumLineByteCount``) and then copies fields with `memcpy`.
final class LineBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes written into the buffer.
    private(set) var count = 0
    /// Bytes already handed to the file (a short write leaves the rest for the next try).
    var drained = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Bytes written but not yet drained.
    var pending: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + drained, count: count - drained)
    }

    var pendingCount: Int { count - drained }

    var freeCount: Int { capacity - count }

    /// Forgets everything once drained, so the buffer is reused from its start.
    func resetIfDrained() {
        if drained == count { count = 0; drained = 0 }
    }

    /// Makes room for `byteCount` more bytes: first by moving undrained bytes to the front,
    /// then by doubling (only while the disk refuses writes: nothing accepted is dropped).
    func reserve(_ byteCount: Int) {
        if freeCount >= byteCount { return }
        if drained > 0 {
            let live = count - drained
            if live > 0 { (base).copyMemory(from: base + drained, byteCount: live) }
            count = live
            drained = 0
            if freeCount >= byteCount { return }
        }
        var newCapacity = capacity * 2
        while newCapacity - count < byteCount { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        (base + count).copyMemory(from: text.utf8Start, byteCount: n)
        count += n
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    func append(_ field: LogField) {
        switch field.storage {
        case .text(let text):
            let copied: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
                append(UnsafeRawBufferPointer(utf8))
            }
            if copied == nil {
                for byte in text.utf8 { append(byte) }
            }
        case .uuid(let uuid, let letterCase):
            appendUUID(uuid, letterCase)
        }
    }

    /// Appends the canonical 36-character text of `uuid` (the same text as `UUIDBytes.string`),
    /// a byte pair per table lookup.
    func appendUUID(_ uuid: UUIDBytes, _ letterCase: UUIDBytes.LetterCase) {
        let table = letterCase == .lower ? 0 : 256
        let p = base + count
        hexPairs.withUnsafeBufferPointer { pairs in
            // Big-endian byte k of `word` goes to `offsets[k]` (dashes after bytes 4, 6, 8, 10).
            @inline(__always) func put(_ word: UInt64, _ offsets: (Int, Int, Int, Int, Int, Int, Int, Int)) {
                @inline(__always) func pair(_ k: Int) -> UInt16 { pairs[table + Int(truncatingIfNeeded: word >> UInt64(56 - 8 * k)) & 0xFF] }
                p.storeBytes(of: pair(0), toByteOffset: offsets.0, as: UInt16.self)
                p.storeBytes(of: pair(1), toByteOffset: offsets.1, as: UInt16.self)
                p.storeBytes(of: pair(2), toByteOffset: offsets.2, as: UInt16.self)
                p.storeBytes(of: pair(3), toByteOffset: offsets.3, as: UInt16.self)
                p.storeBytes(of: pair(4), toByteOffset: offsets.4, as: UInt16.self)
                p.storeBytes(of: pair(5), toByteOffset: offsets.5, as: UInt16.self)
                p.storeBytes(of: pair(6), toByteOffset: offsets.6, as: UInt16.self)
                p.storeBytes(of: pair(7), toByteOffset: offsets.7, as: UInt16.self)
            }
            put(uuid.hi, (0, 2, 4, 6, 9, 11, 14, 16))
            put(uuid.lo, (19, 21, 24, 26, 28, 30, 32, 34))
        }
        p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 8, as: UInt8.self)
        p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 13, as: UInt8.self)
        p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 18, as: UInt8.self)
        p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 23, as: UInt8.self)
        count += 36
    }

    /// Appends `value` in decimal.
    func appendDecimal(_ value: UInt32) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var used = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[9 - used] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                used += 1
            } while n > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[(10 - used)...]))
        }
    }

    /// A copy of the written bytes (tests and small files).
    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: base, count: count)) }
}

extension LineBuffer {
    /// Inserts `text` before the undrained bytes (the in-app header, once per file).
    func prepend(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        let live = count - drained
        (base + drained + n).copyMemory(from: base + drained, byteCount: live)
        (base + drained).copyMemory(from: text.utf8Start, byteCount: n)
        count += n
    }
}

/// Two hex digits per byte value as a little-endian pair, lower case then upper case (512 entries).
private let hexPairs: [UInt16] = {
    var table = [UInt16](repeating: 0, count: 512)
    for (base, digits) in [(0, Array("0123456789abcdef".utf8)), (256, Array("0123456789ABCDEF".utf8))] {
        for b in 0..<256 { table[base + b] = UInt16(digits[b >> 4]) | UInt16(digits[b & 15]) << 8 }
    }
    return table
}()
