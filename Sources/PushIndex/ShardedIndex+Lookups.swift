public import PushModel
import PushSync

extension ShardedIndex {
    // MARK: Lookups

    /// The number of installations.
    public var count: Int {
        rowShards.reduce(0) { sum, shard in sum + shard.withLock { $0.liveCount } }
    }

    /// The installation with this ID.
    public func installation(_ id: InstallationID) -> Installation? {
        let h = hasher.hash(id)
        return rowShards[rowShardIndex(h)].withLock { s in
            s.find(id, fingerprint: h.fingerprint).map { installation(s.rows[Int($0)], in: s) }
        }
    }

    /// The installation currently holding this token.
    public func installation(forToken token: DeviceToken) -> Installation? {
        resolve(token) { row, s in installation(row, in: s) }
    }

    /// The ID of the installation currently holding this token: the cheapest token lookup
    /// (no custom ID or strings to rebuild), what feedback handling needs.
    public func installationID(forToken token: DeviceToken) -> InstallationID? {
        resolve(token) { row, s in s.installationID(row) }
    }

    /// The installation IDs holding each token (nil where none), resolved in one pass: tokens
    /// are grouped by key shard, then by row shard, so each shard's lock is taken once per
    /// call and the memory reads inside one lock hold overlap. For feedback batches and
    /// token-addressed sends.
    public func installationIDs(forTokens tokens: [DeviceToken]) -> [InstallationID?] {
        let n = tokens.count
        var results = [InstallationID?](repeating: nil, count: n)
        guard n > 0 else { return results }
        let hashes = tokens.map { hasher.hash($0) }
        var refs = [UInt32](repeating: Row.none, count: n)
        var ambiguous: [Int] = []
        let byKeyShard = Self.bucketed(n, buckets: keyShards.count) { keyShardIndex(hashes[$0]) }
        for k in keyShards.indices where byKeyShard.starts[k] < byKeyShard.starts[k + 1] {
            keyShards[k].withLock { ks in
                // Load every home slot of the group first: the misses overlap.
                var sink: UInt64 = 0
                for j in byKeyShard.starts[k]..<byKeyShard.starts[k + 1] {
                    sink ^= ks.tokens.touch(hashes[byKeyShard.order[j]].fingerprint)
                }
                ks.touchSink ^= sink
                for j in byKeyShard.starts[k]..<byKeyShard.starts[k + 1] {
                    let i = byKeyShard.order[j]
                    var seen = 0
                    _ = ks.tokens.first(hashes[i].fingerprint) { ref in
                        if seen == 0 { refs[i] = ref }
                        seen += 1
                        return seen > 1
                    }
                    if seen > 1 { ambiguous.append(i) }
                }
            }
        }
        let byRowShard = Self.bucketed(n, buckets: rowShards.count + 1) { i in
            refs[i] == Row.none ? rowShards.count : shard(ofRow: refs[i])
        }
        for b in rowShards.indices where byRowShard.starts[b] < byRowShard.starts[b + 1] {
            rowShards[b].withLock { s in
                var sink: UInt64 = 0
                s.rows.withUnsafeBufferPointer { rows in
                    for j in byRowShard.starts[b]..<byRowShard.starts[b + 1] {
                        let r = Int(row(ofRef: refs[byRowShard.order[j]]))
                        if r < rows.count { sink ^= rows[r].tok0 ^ UInt64(rows[r].flags) }  // both lines of a 96-byte row
                    }
                }
                s.touchSink ^= sink
                for j in byRowShard.starts[b]..<byRowShard.starts[b + 1] {
                    let i = byRowShard.order[j]
                    let r = Int(row(ofRef: refs[i]))
                    guard r < s.rows.count else { continue }
                    let row = s.rows[r]
                    if row.has(Row.live) && s.tokenEquals(row, tokens[i]) { results[i] = s.installationID(row) }
                }
            }
        }
        // Several candidates for one fingerprint (a token in transit, a collision): one by one.
        for i in ambiguous where results[i] == nil { results[i] = installationID(forToken: tokens[i]) }
        return results
    }

    /// A counting sort of `0..<n` by `key` into `buckets`: indices of bucket b are
    /// `order[starts[b]..<starts[b + 1]]`.
    static func bucketed(_ n: Int, buckets: Int, key: (Int) -> Int) -> (order: [Int], starts: [Int]) {
        var keys = [Int](repeating: 0, count: n)
        var starts = [Int](repeating: 0, count: buckets + 1)
        for i in 0..<n {
            keys[i] = key(i)
            starts[keys[i] + 1] += 1
        }
        for b in 0..<buckets { starts[b + 1] += starts[b] }
        var next = starts
        var order = [Int](repeating: 0, count: n)
        for i in 0..<n {
            order[next[keys[i]]] = i
            next[keys[i]] += 1
        }
        return (order, starts)
    }

    /// Finds the row holding `token` and reads it with `read` under its shard's lock.
    @inline(__always)
    func resolve<R>(_ token: DeviceToken, _ read: (Row, borrowing RowShard) -> R) -> R? {
        let th = hasher.hash(token)
        let k = keyShardIndex(th)
        // Usually one candidate; read up to two without allocating, fall back to a list.
        var first = Row.none
        var second = Row.none
        var more = false
        keyShards[k].withLock { ks in
            _ = ks.tokens.first(th.fingerprint) { ref in
                if first == Row.none { first = ref } else if second == Row.none { second = ref } else { more = true }
                return more
            }
        }
        func check(_ ref: UInt32) -> R? {
            rowShards[shard(ofRow: ref)].withLock { s -> R? in
                let r = Int(row(ofRef: ref))
                guard r < s.rows.count else { return nil }
                let row = s.rows[r]
                guard row.has(Row.live), s.tokenEquals(row, token) else { return nil }
                return read(row, s)
            }
        }
        if first == Row.none { return nil }
        if let found = check(first) { return found }
        if second == Row.none { return nil }
        if let found = check(second) { return found }
        if more {
            let candidates = keyShards[k].withLock { $0.tokens.values(th.fingerprint) }
            for ref in candidates.dropFirst(2) { if let found = check(ref) { return found } }
        }
        return nil
    }

    /// Every installation of a user (all their devices).
    public func installations(forCustomID customID: CustomID) -> [Installation] {
        let h = hasher.hash(customID)
        let k = keyShardIndex(h)
        guard let (record, devices) = keyShards[k].withLock({ ks -> (UInt32, [UInt32])? in
            guard let r = ks.findRecord(customID, fingerprint: h.fingerprint) else { return nil }
            return (r, ks.devices(r))
        }) else { return [] }
        let wanted = recordRef(k, record)
        return devices.compactMap { ref in
            rowShards[shard(ofRow: ref)].withLock { s -> Installation? in
                let row = s.rows[Int(row(ofRef: ref))]
                guard row.has(Row.live), row.customRef == wanted,
                      keyShards[k].withLock({ $0.recordMatches(record, customID) }) else { return nil }
                return installation(row, in: s)
            }
        }
    }

    /// Every installation with this advertising ID.
    public func installations(forAdvertisingID advertisingID: AdvertisingID) -> [Installation] {
        let ah = hasher.hash(advertisingID)
        let candidates = keyShards[keyShardIndex(ah)].withLock { $0.advertising.values(ah.fingerprint) }
        return candidates.compactMap { ref in
            rowShards[shard(ofRow: ref)].withLock { s -> Installation? in
                let r = Int(row(ofRef: ref))
                guard r < s.rows.count else { return nil }
                let row = s.rows[r]
                guard row.has(Row.live), row.has(Row.hasAdvertisingID),
                      row.advHi == advertisingID.uuid.hi, row.advLo == advertisingID.uuid.lo else { return nil }
                return installation(row, in: s)
            }
        }
    }

    /// Approximate bytes held by the index's arrays and tables (capacity, not use).
    public var approximateMemoryBytes: Int {
        rowShards.reduce(0) { $0 + $1.withLock { $0.memoryBytes } }
            + keyShards.reduce(0) { $0 + $1.withLock { $0.memoryBytes } }
    }
}
