/// A growable byte buffer the writer formats lines into; one `write(2)` drains it.
///
/// Not thread-safe: each buffer belongs to one day file, which belongs to the writer thread.
/// Appends do not check capacity one by one: the formatter reserves room for a whole line
/// (``EventLineFormatter/maximumLineByteCount``) and then copies fields with `memcpy`.
final class ByteBuffer {
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
        let copied: Void? = field.text.utf8.withContiguousStorageIfAvailable { utf8 in
            append(UnsafeRawBufferPointer(utf8))
        }
        if copied == nil {
            for byte in field.text.utf8 { append(byte) }
        }
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

extension ByteBuffer {
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
