extension HTTP2ConnectionPool {
    /// The pool's decisions, without I/O: which slot to open, and when to replace a closed
    /// connection. The pool calls it under its lock and runs the returned actions after
    /// unlocking (as async-http-client's `HTTPConnectionPool.StateMachine`), so no connection
    /// is created, and no close handler can be waiting, while the lock is held.
    ///
    /// A connection belongs to its slot's *generation*: opening a slot starts a new one, and
    /// a close or an "opened" report from an older generation is ignored. So a connection
    /// that closes before its creator has stored it is still replaced exactly once.
    struct StateMachine {
        struct Slot {
            var generation: UInt64 = 0
            var connection: HTTP2ClientConnection?
            /// Consecutive failures to connect (backoff grows with them).
            var failures = 0
            /// The slot's connection closed and a replacement is due.
            var replacing = false
        }

        /// What the pool does after unlocking.
        enum Action {
            /// Nothing.
            case none
            /// Open the slot after `delay` (zero: at once).
            case replace(slot: Int, after: Duration)
        }

        private(set) var slots: [Slot]
        let initialBackoff: Duration
        let maxBackoff: Duration

        init(connections: Int, initialBackoff: Duration, maxBackoff: Duration) {
            slots = Array(repeating: Slot(), count: connections)
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }

        /// The pool is about to create a connection for `slot`: returns its generation.
        mutating func startOpening(slot i: Int) -> UInt64 {
            slots[i].generation &+= 1
            slots[i].replacing = false
            return slots[i].generation
        }

        /// The connection of `generation` exists; it becomes the slot's connection unless a
        /// newer generation has started meanwhile.
        mutating func opened(slot i: Int, generation: UInt64, connection: HTTP2ClientConnection) {
            guard slots[i].generation == generation else { return }
            slots[i].connection = connection
        }

        /// The connection of `generation` closed with `error` (nil: cleanly).
        mutating func closed(slot i: Int, generation: UInt64, error: HTTP2TransportError?) -> Action {
            guard slots[i].generation == generation, !slots[i].replacing else { return .none }
            slots[i].replacing = true
            // A connection that served and then drained (GOAWAY) is replaced at once; one that
            // failed to connect backs off, longer with each consecutive failure.
            switch error {
            case .connectFailed?, .tlsHandshakeFailed?, .resolveFailed?: slots[i].failures += 1
            default: slots[i].failures = 0
            }
            let failures = slots[i].failures
            var delay = Duration.zero
            if failures > 0 {
                delay = initialBackoff * (1 << min(failures - 1, 16))
                if delay > maxBackoff { delay = maxBackoff }
            }
            return .replace(slot: i, after: delay)
        }
    }
}
