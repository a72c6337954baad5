import HTTP2Transport
import PushModel
import PushSync

// The watchdog for requests the transport never completes, and shutdown.
extension GatewaySender {
    /// How long a request may stay with the transport before the watchdog treats it as lost:
    /// the request timeout plus `lostRequestMargin` (the transport completes every request by
    /// its deadline; this only guards against a completion that never comes).
    var lostAfter: UInt64 { (configuration.pool.connection.requestTimeout + configuration.lostRequestMargin).wholeNanoseconds }

    /// Starts the periodic sweep for requests the transport never completed (once).
    func startWatchdog() {
        guard !watchdogStarted.exchange(true, ordering: .relaxed) else { return }
        scheduleSweep()
    }

    private func scheduleSweep() {
        guard !closing.load(ordering: .acquiring) else { return }
        let interval = max(lostAfter / 4, 1_000_000_000)
        timer.schedule(at: monotonicNanoseconds() &+ interval) { [weak self] in
            guard let self else { return }
            self.sweep(now: monotonicNanoseconds())
            self.scheduleSweep()
        }
    }

    /// Every request gets a completion from the transport by its deadline; should one never
    /// come, the target would wait forever. The sweep treats such a request as a transient
    /// failure (retried or ended), and bumps the slot's serial so a late completion is ignored.
    ///
    /// `now` is the monotonic time the sweep judges by: the periodic sweep passes the real one;
    /// a test passes a later one to decide that requests are lost without waiting for it.
    /// Returns how many requests it found lost.
    @discardableResult
    func sweep(now: UInt64) -> Int {
        let limit = lostAfter
        let lost: [(UInt64, Slot)] = table.withLock { t in
            var found: [(UInt64, Slot)] = []
            for i in t.slots.indices {
                guard t.wire[i].onTheWire, now &- t.wire[i].sentAt > limit, let slot = t.slots[i] else { continue }
                t.wire[i].onTheWire = false
                t.wire[i].serial &+= 1
                found.append((UInt64(i), slot))
            }
            return found
        }
        if !lost.isEmpty {
            lostRequests.add(lost.count, ordering: .relaxed)
            logger.warning("requests never completed by the transport; retrying", metadata: ["count": "\(lost.count)"])
            let failure = TransientFailure(reason: "no completion from the transport")
            handle(lost.map { ($0.0, $0.1, DeliveryOutcome.failed(failure)) })
        }
        return lost.count
    }

    /// Waits for in-flight targets to end (up to `timeout`), then stops retrying (waiting
    /// retries and later transient failures end as `push_error`), closes the connections
    /// gracefully and waits (at most 5 s more) for the requests still on the wire to come back.
    /// Returns whether everything ended within the timeout.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(30)) -> Bool {
        let deadline = monotonicNanoseconds() &+ timeout.wholeNanoseconds
        let drained = window.waitUntilEmpty(deadline: deadline)
        // From here on nothing is retried: failures and waiting retries end as push_error.
        closing.store(true, ordering: .releasing)
        timer.stop()
        pool.shutdown()
        // Requests still on the wire finish or come back as failures through `complete`.
        _ = window.waitUntilEmpty(deadline: max(deadline, monotonicNanoseconds() &+ 5_000_000_000))
        return drained
    }
}
