public import PushModel

extension ShardedIndex {
    /// Upserts many installations at once, with the same outcomes and token-conflict rule as
    /// one `upsert(_:)` each.
    ///
    /// Faster than one call each for loading and resynchronising: installations are grouped
    /// by shard, each shard's lock is taken once per call, and the table slots a group will
    /// probe are loaded for the whole group before any is used, so their cache misses overlap.
    /// Installations of one row shard (so any two with the same ID) are applied in the order
    /// given; across row shards the order is not specified.
    ///
    /// Everything is validated first: on a `ValidationError` (its field prefixed with the
    /// position, as in `[3].token`) nothing has changed.
    @discardableResult
    public func upsert(contentsOf installations: [Installation]) throws(ValidationError) -> [UpsertOutcome] {
        upsert(try prepare(contentsOf: installations))
    }

    /// Installations validated and hashed for ``upsert(_:)``, by the index that will load them.
    public struct PreparedUpserts: Sendable {
        /// The installations, in order.
        public let installations: [Installation]
        let hashes: [UpsertHashes]
        let owner: ObjectIdentifier
    }

    /// Validates every installation and hashes its keys, taking no lock: the first half of
    /// ``upsert(contentsOf:)``, for callers that must know a batch is valid before they commit
    /// to it (the engine's command path shows it to its journal in between).
    /// - Throws: `ValidationError` naming the position and field (`[3].token`).
    public func prepare(contentsOf installations: [Installation]) throws(ValidationError) -> PreparedUpserts {
        // Installations are read through a pointer: passing one by value copies the whole
        // struct, strings and all.
        var hashes: [UpsertHashes] = []
        hashes.reserveCapacity(installations.count)
        try installations.withUnsafeBufferPointer { all throws(ValidationError) in
            for i in 0..<all.count {
                let p = all.baseAddress! + i
                do throws(ValidationError) { try p.pointee.validate() } catch { throw ValidationError(field: "[\(i)].\(error.field)", reason: error.reason) }
                hashes.append(upsertHashes(p))
            }
        }
        return PreparedUpserts(installations: installations, hashes: hashes, owner: ObjectIdentifier(self))
    }

    /// Loads a prepared batch (the second half of ``upsert(contentsOf:)``).
    @discardableResult
    public func upsert(_ prepared: PreparedUpserts) -> [UpsertOutcome] {
        precondition(prepared.owner == ObjectIdentifier(self), "a batch prepared by another index (its keys were hashed with another seed)")
        let installations = prepared.installations
        let hashes = prepared.hashes
        let n = installations.count
        guard n > 0 else { return [] }
        warmKeyShards(hashes)

        // Written by the shard passes through pointers: captured arrays would be checked for
        // exclusive access at run time on every write.
        let outcomes = UnsafeMutableBufferPointer<UpsertOutcome>.allocate(capacity: n)
        outcomes.initialize(repeating: UpsertOutcome(created: false, optInChange: nil, tokenChanged: false))
        defer { outcomes.deallocate() }
        let byRowShard = Self.bucketed(n, buckets: rowShards.count) { rowShardIndex(hashes[$0].id) }

        /// A token two installations hold: settled after the row shard's lock is released.
        typealias Conflict = (installation: Int, holder: UInt32, other: UInt32, registeredAt: Int64)

        /// Applies row shard `b`'s group under its lock; returns the token conflicts to settle.
        func apply(_ b: Int, _ s: inout RowShard) -> [Conflict] {
            let group = byRowShard.starts[b]..<byRowShard.starts[b + 1]
            var conflicts: [Conflict] = []
            var sink: UInt64 = 0
            for j in group { sink ^= s.ids.touch(hashes[byRowShard.order[j]].id.fingerprint) }
            s.touchSink ^= sink
            installations.withUnsafeBufferPointer { all in
                for j in group {
                    let i = byRowShard.order[j]
                    var displaced: [UInt32] = []
                    let (outcome, ref) = upsertLocked(all.baseAddress! + i, hashes[i], shard: b, &s, displaced: &displaced)
                    outcomes[i] = outcome
                    for other in displaced { conflicts.append((i, ref, other, 0)) }
                }
                // A later entry of the group may have changed the holder again (the same ID twice):
                // settle with what its row holds now, as one upsert at a time would have, and
                // drop conflicts over a token the holder no longer has.
                conflicts.removeAll { c in
                    guard let token = all[c.installation].token else { return true }
                    let row = s.rows[Int(self.row(ofRef: c.holder))]
                    return !(row.has(Row.live) && s.tokenEquals(row, token))
                }
            }
            for k in conflicts.indices {
                conflicts[k].registeredAt = s.rows[Int(self.row(ofRef: conflicts[k].holder))].tokenRegisteredAt
            }
            return conflicts
        }

        /// After shard `b`'s lock is released: settles its conflicts.
        func finish(_ b: Int, _ conflicts: [Conflict]) {
            for c in conflicts {
                guard let token = installations[c.installation].token else { continue }
                settleTokenConflict(token, holder: c.holder, registeredAt: c.registeredAt, other: c.other)
            }
        }

        // Start at a shard that depends on the batch, and leave a shard whose lock is held for
        // the end instead of waiting on it: two loaders walking the shards in the same direction
        // would otherwise fall in step, each queueing behind the other at every shard.
        let first = rowShardIndex(hashes[n / 2].id)
        var busy: [Int] = []
        for step in rowShards.indices {
            let b = (first + step) & rowShardMask
            guard byRowShard.starts[b] < byRowShard.starts[b + 1] else { continue }
            if let conflicts = rowShards[b].withLockIfAvailable({ s in apply(b, &s) }) {
                finish(b, conflicts)
            } else {
                busy.append(b)
            }
        }
        for b in busy {
            let conflicts = rowShards[b].withLock { s in apply(b, &s) }
            finish(b, conflicts)
        }
        return Array(outcomes)
    }

    /// Loads, shard by shard under each key shard's lock, the token, custom-ID and advertising
    /// table slots the upserts of `hashes` will probe, so the row pass finds them in cache.
    /// Shards whose lock is held elsewhere are skipped.
    private func warmKeyShards(_ hashes: [UpsertHashes]) {
        // (key shard, table, fingerprint) for every key: 0 token, 1 custom ID, 2 advertising ID.
        var touches: [(shard: Int, table: UInt8, fingerprint: UInt32)] = []
        touches.reserveCapacity(hashes.count * 3)
        for h in hashes {
            if let t = h.token { touches.append((keyShardIndex(t), 0, t.fingerprint)) }
            if let c = h.custom { touches.append((keyShardIndex(c), 1, c.fingerprint)) }
            if let a = h.advertising { touches.append((keyShardIndex(a), 2, a.fingerprint)) }
        }
        let byKeyShard = Self.bucketed(touches.count, buckets: keyShards.count) { touches[$0].shard }
        let first = touches.isEmpty ? 0 : touches[touches.count / 2].shard
        for step in keyShards.indices {
            let k = (first + step) & keyShardMask
            guard byKeyShard.starts[k] < byKeyShard.starts[k + 1] else { continue }
            // Only a warm-up: a shard another thread holds is skipped, not waited for.
            _ = keyShards[k].withLockIfAvailable { ks in
                var sink: UInt64 = 0
                for j in byKeyShard.starts[k]..<byKeyShard.starts[k + 1] {
                    let t = touches[byKeyShard.order[j]]
                    switch t.table {
                    case 0: sink ^= ks.tokens.touch(t.fingerprint)
                    case 1: sink ^= ks.customs.touch(t.fingerprint)
                    default: sink ^= ks.advertising.touch(t.fingerprint)
                    }
                }
                ks.touchSink ^= sink
            }
        }
    }
}
