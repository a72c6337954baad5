#if canImport(Glibc)
import Glibc
#endif
import PushSync
import Synchronization
internal import CPushShims

// Loop-thread-only stored properties in this file are `@exclusivity(unchecked)`: one thread
// touches them and no access overlaps another, so dynamic exclusivity checks buy nothing.

/// Something registered with an event loop for readiness events on a file descriptor.
/// Called on the loop's thread only.
protocol LoopHandler: AnyObject {
    /// Readiness events (`EPOLLIN`, `EPOLLOUT`, `EPOLLERR`, `EPOLLHUP` bits).
    func handle(events: UInt32)
    /// Called once per loop iteration after events, tasks and timers, when marked dirty.
    func flush()
}

extension LoopHandler {
    func flush() {}
}

let epollIn = UInt32(EPOLLIN.rawValue)
let epollOut = UInt32(EPOLLOUT.rawValue)
let epollErr = UInt32(EPOLLERR.rawValue)
let epollHup = UInt32(EPOLLHUP.rawValue)
let epollRdHup = UInt32(EPOLLRDHUP.rawValue)

/// One thread running an epoll loop. Sockets, nghttp2 sessions and TLS state registered with a
/// loop are only ever touched on its thread; other threads hand work over with ``execute(_:)``.
///
/// `@unchecked Sendable`: the cross-thread surface is `tasks` (behind a `Mutex`), `wakeFD`
/// (eventfd writes are thread-safe) and immutable fields. Every other stored property is
/// touched only on the loop thread, which `assertInLoop()` checks in debug builds.
public final class EventLoop: @unchecked Sendable {
    private let epfd: Int32
    private let wakeFD: Int32
    private let tasks = Locked<[@Sendable () -> Void]>([])
    private let wakePending = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    /// Set by the loop thread itself before `started`; read after it.
    private var thread: PushThread?
    private let started = Atomic<Bool>(false)
    /// Index of this loop in its group (diagnostics).
    public let index: Int

    // Loop-thread-only state.
    @exclusivity(unchecked) private var handlers: [Int32: any LoopHandler] = [:]
    @exclusivity(unchecked) private var dirty: [any LoopHandler] = []
    @exclusivity(unchecked) private var timers: [(due: UInt64, id: UInt64, callback: () -> Void)] = []
    @exclusivity(unchecked) private var nextTimerID: UInt64 = 1
    /// Shared by every connection on this loop: a read is consumed before the next one.
    let readScratch = ReadScratch()

    private static let wakeToken = UInt64.max
    private static let ignoreSIGPIPE: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// Creates a loop and starts its thread. The first loop also makes the process ignore
    /// SIGPIPE: a write to a peer that has gone must be an error on that socket, not a crash.
    public init(index: Int = 0) {
        _ = EventLoop.ignoreSIGPIPE
        self.index = index
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epfd >= 0, "epoll_create1 failed: errno \(errno)")
        wakeFD = CPushShims_eventfd()
        precondition(wakeFD >= 0, "eventfd failed: errno \(errno)")
        _ = CPushShims_epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, epollIn, EventLoop.wakeToken)
        _ = PushThread.start { [self] in run() }  // the thread records itself before `started` is set
        while !started.load(ordering: .acquiring) { sched_yield() }
    }

    deinit {
        close(epfd)
        close(wakeFD)
    }

    /// True on this loop's thread.
    public var inLoop: Bool { thread?.isCurrent ?? false }

    @inline(__always)
    func assertInLoop(_ file: StaticString = #fileID, _ line: UInt = #line) {
        assert(inLoop, "touched a loop-bound object off its loop thread", file: file, line: line)
    }

    /// Runs `task` on the loop thread, soon. Thread-safe.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        tasks.withLock { $0.append(task) }
        wake()
    }

    private func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    // MARK: Loop-thread API

    func register(fd: Int32, events: UInt32, handler: any LoopHandler) {
        assertInLoop()
        handlers[fd] = handler
        let rc = CPushShims_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, events, UInt64(UInt32(bitPattern: fd)))
        assert(rc == 0, "epoll_ctl ADD failed: errno \(errno)")
    }

    func modify(fd: Int32, events: UInt32) {
        assertInLoop()
        _ = CPushShims_epoll_ctl(epfd, EPOLL_CTL_MOD, fd, events, UInt64(UInt32(bitPattern: fd)))
    }

    func unregister(fd: Int32) {
        assertInLoop()
        handlers.removeValue(forKey: fd)
        _ = CPushShims_epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Asks for `handler.flush()` at the end of this iteration (once, however often marked).
    func markDirty(_ handler: any LoopHandler) {
        assertInLoop()
        dirty.append(handler)
    }

    /// Calls `callback` on the loop thread at `due` (monotonic ns). Returns a cancellable ID.
    @discardableResult
    func schedule(at due: UInt64, _ callback: @escaping () -> Void) -> UInt64 {
        assertInLoop()
        let id = nextTimerID
        nextTimerID += 1
        let i = timers.firstIndex { $0.due > due } ?? timers.endIndex
        timers.insert((due, id, callback), at: i)
        return id
    }

    func cancelTimer(_ id: UInt64) {
        assertInLoop()
        if let i = timers.firstIndex(where: { $0.id == id }) { timers.remove(at: i) }
    }

    // MARK: Running

    private func run() {
        thread = PushThread.current
        started.store(true, ordering: .releasing)
        var evs = [UInt32](repeating: 0, count: 256)
        var datas = [UInt64](repeating: 0, count: 256)
        while !stopped.load(ordering: .relaxed) {
            var timeout: Int32 = 1000
            if let first = timers.first {
                let now = monotonicNanoseconds()
                timeout = first.due <= now ? 0 : Int32(min(1000, (first.due - now + 999_999) / 1_000_000))
            }
            if !dirty.isEmpty { timeout = 0 }
            let n = evs.withUnsafeMutableBufferPointer { e in
                datas.withUnsafeMutableBufferPointer { d in
                    CPushShims_epoll_wait(epfd, e.baseAddress, d.baseAddress, 256, timeout)
                }
            }
            if n > 0 {
                for i in 0..<Int(n) {
                    if datas[i] == EventLoop.wakeToken {
                        var v: UInt64 = 0
                        _ = read(wakeFD, &v, 8)
                        wakePending.store(false, ordering: .releasing)
                        continue
                    }
                    let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: datas[i]))
                    handlers[fd]?.handle(events: evs[i])
                }
            }
            runTasks()
            runTimers()
            runFlushes()
        }
        // Drain remaining tasks so nothing submitted is silently lost.
        runTasks()
        runFlushes()
    }

    private func runTasks() {
        let batch = tasks.withLock { t -> [@Sendable () -> Void] in
            if t.isEmpty { return [] }
            let b = t
            t.removeAll(keepingCapacity: true)
            return b
        }
        for task in batch { task() }
    }

    private func runTimers() {
        guard let first = timers.first else { return }
        let now = monotonicNanoseconds()
        guard first.due <= now else { return }
        var due: [() -> Void] = []
        while let t = timers.first, t.due <= now {
            due.append(t.callback)
            timers.removeFirst()
        }
        for cb in due { cb() }
    }

    private func runFlushes() {
        var rounds = 0
        while !dirty.isEmpty && rounds < 4 {
            let list = dirty
            dirty.removeAll(keepingCapacity: true)
            var seen = Set<ObjectIdentifier>()
            for h in list where seen.insert(ObjectIdentifier(h)).inserted { h.flush() }
            rounds += 1
        }
    }

    /// Stops the loop after the tasks already queued, and waits for its thread to exit.
    /// Must not be called on the loop's own thread.
    public func shutdown() {
        precondition(!inLoop, "EventLoop.shutdown() called on its own thread")
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake()
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        thread?.join()
    }
}

/// A fixed set of event loops, one thread each; `next()` spreads work round-robin.
public final class EventLoopGroup: Sendable {
    /// The loops.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    /// Creates `threads` loops (default: one per core).
    public init(threads: Int = EventLoopGroup.coreCount) {
        loops = (0..<max(1, threads)).map { EventLoop(index: $0) }
    }

    /// The number of online cores.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The next loop, round-robin.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop and waits for their threads.
    public func shutdown() {
        for l in loops { l.shutdown() }
    }
}

/// Carries a loop-bound (non-Sendable) object to its loop's thread.
/// `@unchecked Sendable`: `value` is only dereferenced inside tasks that run on the loop that
/// owns it (see `EventLoop.execute(with:_:)`), never on the thread that sends it.
struct LoopBound<T: AnyObject>: @unchecked Sendable {
    let value: T
}

extension EventLoop {
    /// Runs `body(object)` on the loop thread; `object` must belong to this loop.
    func execute<T: AnyObject>(with object: T, _ body: @escaping @Sendable (T) -> Void) {
        let box = LoopBound(value: object)
        execute { body(box.value) }
    }
}
