// Stored properties of the loop-bound classes in this file are `@exclusivity(unchecked)`:
// each instance is touched by one event-loop thread only and no access overlaps another, so
// the runtime's dynamic exclusivity checks buy nothing (their cost: PERFORMANCE.md, mock gateway).

/// A growable FIFO byte queue with a read cursor, for the I/O paths (socket → TLS → nghttp2 and
/// back): bytes are appended (or reserved and committed) at the end and consumed from the front.
/// Reuses its storage; compacts lazily. Not thread-safe: owned by one connection.
final class ByteQueue {
    @exclusivity(unchecked) private(set) var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var capacity: Int
    @exclusivity(unchecked) private(set) var readIndex = 0
    @exclusivity(unchecked) private(set) var writeIndex = 0

    init(capacity: Int = 16 * 1024) {
        self.capacity = max(capacity, 64)
        storage = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes waiting to be consumed.
    var readableBytes: Int { writeIndex - readIndex }
    var isEmpty: Bool { readIndex == writeIndex }

    /// The readable region.
    var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + readIndex, count: readableBytes)
    }

    func clear() {
        readIndex = 0
        writeIndex = 0
    }

    /// Marks `n` readable bytes consumed.
    func consume(_ n: Int) {
        precondition(n <= readableBytes, "consume past the end")
        readIndex += n
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    /// Ensures `n` writable bytes at the end and returns a pointer to them.
    func reserve(_ n: Int) -> UnsafeMutableRawPointer {
        if capacity - writeIndex < n {
            if readIndex > 0 && capacity - readableBytes >= n && readIndex >= capacity / 2 {
                let count = readableBytes
                (storage).copyMemory(from: storage + readIndex, byteCount: count)
                readIndex = 0
                writeIndex = count
            } else {
                var newCapacity = capacity * 2
                while newCapacity - writeIndex < n { newCapacity *= 2 }
                let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                newStorage.copyMemory(from: storage + readIndex, byteCount: readableBytes)
                writeIndex = readableBytes
                readIndex = 0
                storage.deallocate()
                storage = newStorage
                capacity = newCapacity
            }
        }
        return storage + writeIndex
    }

    /// The number of bytes that can be written without growing.
    var writableBytes: Int { capacity - writeIndex }

    /// Commits `n` bytes written into the region returned by `reserve`.
    func commit(_ n: Int) {
        precondition(writeIndex + n <= capacity, "commit past capacity")
        writeIndex += n
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        let p = reserve(bytes.count)
        p.copyMemory(from: base, byteCount: bytes.count)
        writeIndex += bytes.count
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }
}
