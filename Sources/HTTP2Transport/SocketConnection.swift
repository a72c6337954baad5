#if canImport(Glibc)
import Glibc
#endif

// Stored properties of the loop-bound classes in this file are `@exclusivity(unchecked)`:
// each instance is touched by one event-loop thread only and no access overlaps another, so
// the runtime's dynamic exclusivity checks buy nothing (their cost: PERFORMANCE.md, mock gateway).

/// Per-thread read scratch: every connection on a loop reads into the same 256 KiB buffer,
/// since a read is fully consumed before the next one.
final class ReadScratch {
    let capacity = 256 * 1024
    let pointer: UnsafeMutableRawPointer
    init() { pointer = .allocate(byteCount: capacity, alignment: 16) }
    deinit { pointer.deallocate() }
}

/// The socket half of a connection driver: non-blocking reads and writes for one fd on one
/// loop, epoll interest kept in step with the output buffer, and a single close path.
/// Subclasses plug in the sans-IO core. Loop-thread only (see `EventLoop`).
class SocketConnection: LoopHandler {
    let loop: EventLoop
    @exclusivity(unchecked) var fd: Int32 = -1
    let out = ByteQueue(capacity: 64 * 1024)
    @exclusivity(unchecked) private var interest: UInt32 = 0
    @exclusivity(unchecked) private(set) var isClosed = false
    @exclusivity(unchecked) var readingPaused = false
    @exclusivity(unchecked) private var dirtyMarked = false

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Registers `fd` with the loop (reads, plus writes when `wantWrite`).
    func attach(fd: Int32, wantWrite: Bool) {
        self.fd = fd
        interest = epollIn | epollRdHup | (wantWrite ? epollOut : 0)
        loop.register(fd: fd, events: interest, handler: self)
    }

    func setInterest(read: Bool, write: Bool) {
        guard fd >= 0, !isClosed else { return }
        let want = (read ? epollIn | epollRdHup : 0) | (write ? epollOut : 0)
        if want != interest {
            interest = want
            loop.modify(fd: fd, events: want)
        }
    }

    /// Requests a flush at the end of this loop iteration.
    func markDirty() {
        guard !dirtyMarked else { return }
        dirtyMarked = true
        loop.markDirty(self)
    }

    func handle(events: UInt32) {
        if isClosed { return }
        if events & epollOut != 0 { writable() }
        if isClosed { return }
        if events & (epollIn | epollErr | epollHup | epollRdHup) != 0 && !readingPaused { readable() }
        else if events & (epollErr | epollHup) != 0 { readable() }
    }

    /// Called when the socket is writable (connect completion lands here too).
    func writable() { flush() }

    /// Reads until the socket would block (bounded per event for fairness), feeding `received`.
    func readable() {
        var total = 0
        while total < 1 << 20 {
            let scratch = loop.readScratch
            let n = read(fd, scratch.pointer, scratch.capacity)
            if n > 0 {
                total += n
                received(UnsafeRawBufferPointer(start: scratch.pointer, count: n))
                if isClosed { return }
                if n < scratch.capacity { break }
                continue
            }
            if n == 0 {
                peerClosed(reason: "peer closed the connection")
                return
            }
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK { break }
            if e == EINTR { continue }
            peerClosed(reason: Socket.errorText(e))
            return
        }
        afterRead()
    }

    /// Writes the output buffer; keeps EPOLLOUT armed while bytes remain.
    /// Returns false when the socket failed (the connection is then closed).
    @discardableResult
    func writeOut() -> Bool {
        while !out.isEmpty {
            let r = out.readable
            let n = send(fd, r.baseAddress, r.count, Int32(MSG_NOSIGNAL))
            if n > 0 {
                out.consume(n)
                continue
            }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            if n < 0 && e == EINTR { continue }
            peerClosed(reason: Socket.errorText(e))
            return false
        }
        setInterest(read: !readingPaused, write: !out.isEmpty)
        return true
    }

    func flush() {
        dirtyMarked = false
    }

    /// Closes the socket once. Subclasses report to their owners in `didClose`.
    func closeSocket() {
        guard !isClosed else { return }
        isClosed = true
        if fd >= 0 {
            loop.unregister(fd: fd)
            close(fd)
            fd = -1
        }
    }

    // Overridden by subclasses.
    func received(_ bytes: UnsafeRawBufferPointer) {}
    func afterRead() {}
    func peerClosed(reason: String) { closeSocket() }
}
