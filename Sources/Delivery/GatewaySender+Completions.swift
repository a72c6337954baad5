import Gateways
import HTTP2Transport
import PushModel
import PushSync

// Completion handling: a batch of transport completions becomes final events (`push_sent`,
// `token_deleted`, `push_error`), retries with backoff, index feedback or a credential renewal.
extension GatewaySender {
    /// Handles a batch of completions (event-loop thread).
    ///
    /// One pass under the table's lock: a 200 the template accepts (nearly all) moves its slot
    /// out of the table at once; the others are marked off the wire and copied out. Their
    /// outcomes (which may parse an error body) are worked out after the lock is released, then
    /// ``handle(_:answered:lane:)`` deals with them (retries, feedback, credentials).
    func complete(_ batch: [HTTP2Completion]) {
        let now = monotonicNanoseconds()
        var accepted: [(slot: Slot, latency: UInt64)] = []
        accepted.reserveCapacity(batch.count)
        var undecided: [(UInt64, Slot, Result<HTTP2Response, HTTP2TransportError>)] = []
        var answered: [UInt64] = []
        var stale = 0
        table.withLock { t in
            var freed: [Int] = []
            freed.reserveCapacity(batch.count)
            for c in batch {
                let index = Int(c.tag >> 32), serial = UInt32(truncatingIfNeeded: c.tag)
                guard index < t.wire.count, t.wire[index].onTheWire, t.wire[index].serial == serial, let slot = t.slots[index].take() else {
                    stale += 1
                    continue
                }
                // Latency counts gateway answers only; a transport error has no response time.
                var latency = UInt64.max
                if case .success = c.result { latency = now &- t.wire[index].sentAt }
                t.wire[index].onTheWire = false
                // A 200 is decided here: it has no body to read. Anything else is decided after
                // the lock, so reading an error body (JSON) does not hold up the other loops.
                if case .success(let response) = c.result, response.status == 200,
                   case .accepted = slot.job.template.outcome(of: c.result) {
                    accepted.append((slot, latency))
                    freed.append(index)
                } else {
                    undecided.append((UInt64(index), slot, c.result))
                    answered.append(latency)
                    t.slots[index] = slot  // back in the table until its retry or final event
                }
            }
            // The accepted slots are empty now: their places go back to the free list.
            t.free.append(contentsOf: freed)
            t.used -= freed.count
        }
        if stale > 0 { strays.add(stale, ordering: .relaxed) }
        let lane = loops.firstIndex { $0.inLoop } ?? loops.count
        if !accepted.isEmpty { finishAccepted(accepted, lane: lane) }
        if !undecided.isEmpty {
            handle(undecided.map { ($0.0, $0.1, $0.1.job.template.outcome(of: $0.2)) }, answered: answered, lane: lane)
        }
    }

    /// Final events for accepted requests whose slots already left the table (event-loop thread):
    /// latencies, `push_sent` events grouped by job, window places back.
    private func finishAccepted(_ accepted: [(slot: Slot, latency: UInt64)], lane: Int) {
        let time = Timestamp(millisecondsSince1970: clock.nowMilliseconds())
        var start = 0
        while start < accepted.count {
            let job = accepted[start].slot.job
            var end = start + 1
            while end < accepted.count, accepted[end].slot.job === job { end += 1 }
            let run = accepted[start..<end]
            var latencies: [UInt64] = []
            latencies.reserveCapacity(run.count)
            for a in run where a.latency != .max { latencies.append(a.latency) }
            job.latency.record(lane: lane, latencies)
            let platform = job.template.platform, source = job.source
            job.record(run.map { DeliveryEvent(kind: .sent, target: $0.slot.target, platform: platform, time: time,
                                               source: source, attempts: $0.slot.attempt) })
            start = end
        }
        window.release(accepted.count)
    }

    /// Turns outcomes into final events, retries and feedback. `answered[i]` is item i's request
    /// latency (`.max`: no gateway answer); final attempts' latencies go to lane `lane` of their job.
    func handle(_ items: [(UInt64, Slot, DeliveryOutcome)], answered: [UInt64] = [], lane: Int = .max) {
        var finals: [(UInt64, DeliveryEvent.Kind)] = []
        var latencies: [(DeliveryJob, UInt64)] = []
        var retries: [(UInt64, Duration)] = []
        var credentialRetries: [UInt64] = []
        let now = monotonicNanoseconds()
        let policy = configuration.retry
        for (i, (tag, slot, outcome)) in items.enumerated() {
            let finalsBefore = finals.count
            defer {
                if finals.count > finalsBefore, i < answered.count, answered[i] != .max { latencies.append((slot.job, answered[i])) }
            }
            switch outcome {
            case .accepted:
                finals.append((tag, .sent))
            case .rejected(let reason, let invalidatedAt):
                switch reason.consequence {
                case .invalidToken:
                    let at = invalidatedAt ?? Timestamp(millisecondsSince1970: clock.nowMilliseconds())
                    let removed = slot.job.feedback?.tokenInvalidated(slot.target.token, of: slot.target.installationID, at: at) ?? false
                    finals.append((tag, removed ? .tokenDeleted(reason) : .error(reason.wireValue)))
                case .permanent:
                    finals.append((tag, .error(reason.wireValue)))
                case .credentials:
                    if slot.job.isCancelled {
                        finals.append((tag, .error("cancelled after: \(reason.wireValue)")))
                    } else if slot.credentialRetried {
                        credentialProblem.withLock { $0 = reason }
                        logger.error("gateway refused the credentials after a reissue",
                                     metadata: ["reason": "\(reason)", "send": "\(slot.job.source.token)"])
                        finals.append((tag, .error(reason.wireValue)))
                    } else {
                        slot.job.template.credentialsRejected(generation: slot.generation)
                        credentialRetries.append(tag)
                    }
                case .transient:
                    retries.append(contentsOf: decideRetry(tag, slot, TransientFailure(reason: reason.wireValue, status: reason.status), now, policy, &finals))
                }
            case .failed(let failure):
                retries.append(contentsOf: decideRetry(tag, slot, failure, now, policy, &finals))
            }
        }
        if !credentialRetries.isEmpty || !retries.isEmpty {
            table.withLock { t in
                for tag in credentialRetries { t.slots[Int(tag)]?.credentialRetried = true; t.slots[Int(tag)]?.attempt += 1 }
                for (tag, _) in retries { t.slots[Int(tag)]?.attempt += 1 }
            }
        }
        recordLatencies(latencies, lane: lane)
        finish(finals)
        resend(credentialRetries)
        for (tag, delay) in retries {
            timer.schedule(at: monotonicNanoseconds() &+ delay.wholeNanoseconds) { [self] in resend([tag]) }
        }
    }

    /// Records final attempts' latencies, one lock of the loop's lane per job run in the batch.
    private func recordLatencies(_ latencies: [(DeliveryJob, UInt64)], lane: Int) {
        var start = 0
        while start < latencies.count {
            let job = latencies[start].0
            var end = start + 1
            while end < latencies.count, latencies[end].0 === job { end += 1 }
            job.latency.record(lane: lane, latencies[start..<end].map { $0.1 })
            start = end
        }
    }

    private func decideRetry(_ tag: UInt64, _ slot: Slot, _ failure: TransientFailure, _ now: UInt64,
                             _ policy: RetryPolicy, _ finals: inout [(UInt64, DeliveryEvent.Kind)]) -> [(UInt64, Duration)] {
        if slot.job.isCancelled {
            finals.append((tag, .error("cancelled after: \(failure)")))
            return []
        }
        if closing.load(ordering: .acquiring) {
            finals.append((tag, .error("engine shut down after: \(failure)")))
            return []
        }
        guard slot.attempt < policy.maxAttempts else {
            finals.append((tag, .error("retries exhausted (\(slot.attempt) attempts): \(failure)")))
            return []
        }
        let delay = policy.delay(afterAttempt: slot.attempt, retryAfter: failure.retryAfter)
        guard now &+ delay.wholeNanoseconds < slot.firstSent &+ policy.deadline.wholeNanoseconds else {
            finals.append((tag, .error("retry deadline passed: \(failure)")))
            return []
        }
        return [(tag, delay)]
    }

    /// Re-submits slots (retries), grouped by job; cancelled jobs' slots end as `push_error`.
    private func resend(_ tags: [UInt64]) {
        guard !tags.isEmpty else { return }
        let jobs: [(UInt64, DeliveryJob?)] = table.withLock { t in tags.map { ($0, t.slots[Int($0)]?.job) } }
        var byJob: [ObjectIdentifier: (DeliveryJob, [UInt64])] = [:]
        var cancelled: [(UInt64, DeliveryEvent.Kind)] = []
        for (tag, job) in jobs {
            guard let job else { continue }
            if job.isCancelled {
                cancelled.append((tag, .error("cancelled before retry")))
            } else if closing.load(ordering: .acquiring) {
                cancelled.append((tag, .error("engine shut down before retry")))
            } else {
                byJob[ObjectIdentifier(job), default: (job, [])].1.append(tag)
            }
        }
        finish(cancelled)
        for (_, (job, jobTags)) in byJob { send(tags: jobTags, job: job) }
    }

    /// Frees slots, writes their final events (grouped by job), and releases window places.
    func finish(_ finals: [(UInt64, DeliveryEvent.Kind)]) {
        guard !finals.isEmpty else { return }
        let freed: [(Slot, DeliveryEvent.Kind)] = table.withLock { t in
            finals.compactMap { tag, kind in t.remove(Int(tag)).map { ($0, kind) } }
        }
        let time = Timestamp(millisecondsSince1970: clock.nowMilliseconds())
        func event(_ slot: Slot, _ kind: DeliveryEvent.Kind) -> DeliveryEvent {
            DeliveryEvent(kind: kind, target: slot.target, platform: slot.job.template.platform,
                          time: time, source: slot.job.source, attempts: slot.attempt)
        }
        if let first = freed.first?.0.job, freed.allSatisfy({ $0.0.job === first }) {
            // The usual case: one send on the wire, no grouping needed.
            first.record(freed.map { event($0.0, $0.1) })
        } else {
            var byJob: [ObjectIdentifier: (DeliveryJob, [DeliveryEvent])] = [:]
            for (slot, kind) in freed {
                byJob[ObjectIdentifier(slot.job), default: (slot.job, [])].1.append(event(slot, kind))
            }
            for (_, (job, events)) in byJob { job.record(events) }
        }
        window.release(freed.count)
    }
}
