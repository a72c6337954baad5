import PushModel

extension ShardedIndex {
    /// Cross-checks every table against the rows and returns the violations found (empty when
    /// consistent). Meant for tests after concurrent work has stopped: it takes shards one at
    /// a time, so concurrent mutations would show up as false violations.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        struct RowFacts {
            var token: [UInt8]?
            var android: Bool
            var customRef: UInt32
            var advertising: UUIDBytes?
        }
        var rows: [UInt32: RowFacts] = [:]
        var liveTotal = 0
        for b in rowShards.indices {
            rowShards[b].withLock { s in
                var live = 0
                for r in s.rows.indices where s.rows[r].has(Row.live) {
                    live += 1
                    let row = s.rows[r]
                    let id = s.installationID(row)
                    let h = hasher.hash(id)
                    if rowShardIndex(h) != b { problems.append("row \(id) in shard \(b), hashes to \(rowShardIndex(h))") }
                    if s.find(id, fingerprint: h.fingerprint) != UInt32(r) { problems.append("ID table does not lead to row \(id)") }
                    rows[rowRef(b, UInt32(r))] = RowFacts(
                        token: row.tokenLength == 0 ? nil : s.withToken(row) { Array($0) },
                        android: row.has(Row.android),
                        customRef: row.customRef,
                        advertising: row.has(Row.hasAdvertisingID) ? UUIDBytes(hi: row.advHi, lo: row.advLo) : nil)
                }
                if live != s.liveCount { problems.append("shard \(b): liveCount \(s.liveCount), rows \(live)") }
                if s.ids.count != live { problems.append("shard \(b): ID table holds \(s.ids.count), rows \(live)") }
                if live + s.freeRows.count != s.rows.count { problems.append("shard \(b): free list out of step") }
                liveTotal += live
            }
        }
        // Tokens: unique, and exactly one entry per held token, in the right key shard.
        var tokenHolders: [[UInt8]: UInt32] = [:]
        for (ref, facts) in rows {
            guard let token = facts.token else { continue }
            if let other = tokenHolders[token] { problems.append("token held by rows \(other) and \(ref)") }
            tokenHolders[token] = ref
        }
        var tokenEntries = 0
        var advertisingEntries = 0
        for k in keyShards.indices {
            keyShards[k].withLock { ks in
                ks.tokens.forEach { fp, ref in
                    tokenEntries += 1
                    guard let facts = rows[ref], let token = facts.token else {
                        problems.append("token entry for row \(ref) without a token"); return
                    }
                    let h = token.withUnsafeBytes { hasher.hash($0, domain: facts.android ? .fcmToken : .apnsToken) }
                    if h.fingerprint != fp || keyShardIndex(h) != k { problems.append("token entry for row \(ref) misplaced") }
                }
                ks.advertising.forEach { fp, ref in
                    advertisingEntries += 1
                    guard let facts = rows[ref], let adv = facts.advertising else {
                        problems.append("advertising entry for row \(ref) without an advertising ID"); return
                    }
                    let h = hasher.hash(adv, domain: .advertisingID)
                    if h.fingerprint != fp || keyShardIndex(h) != k { problems.append("advertising entry for row \(ref) misplaced") }
                }
                var liveRecords = 0
                for r in ks.records.indices where ks.records[r].live {
                    liveRecords += 1
                    let record = ks.records[r]
                    let devices = ks.devices(UInt32(r))
                    if devices.count != Int(record.deviceCount) { problems.append("record \(k)/\(r): count \(record.deviceCount) lists \(devices.count)") }
                    if devices.isEmpty && record.attributeCount == 0 { problems.append("record \(k)/\(r) is empty but not freed") }
                    for ref in devices where rows[ref]?.customRef != recordRef(k, UInt32(r)) {
                        problems.append("record \(k)/\(r) lists row \(ref) that does not point back")
                    }
                    let h = ks.withCustomBytes(UInt32(r)) { hasher.hash($0, domain: .customID) }
                    if keyShardIndex(h) != k { problems.append("record \(k)/\(r) in the wrong key shard") }
                    if ks.findRecord(ks.customID(UInt32(r)), fingerprint: h.fingerprint) != UInt32(r) {
                        problems.append("custom table does not lead to record \(k)/\(r)")
                    }
                }
                if ks.customs.count != liveRecords { problems.append("key shard \(k): custom table \(ks.customs.count), records \(liveRecords)") }
            }
        }
        if tokenEntries != tokenHolders.count { problems.append("token entries \(tokenEntries), tokens held \(tokenHolders.count)") }
        let advertisingHeld = rows.values.filter { $0.advertising != nil }.count
        if advertisingEntries != advertisingHeld { problems.append("advertising entries \(advertisingEntries), held \(advertisingHeld)") }
        for (ref, facts) in rows where facts.customRef != Row.none {
            let k = shard(ofRecord: facts.customRef)
            let r = record(ofRef: facts.customRef)
            let listed = keyShards[k].withLock { ks in
                Int(r) < ks.records.count && ks.records[Int(r)].live && ks.devices(r).contains(ref)
            }
            if !listed { problems.append("row \(ref) points to record \(k)/\(r) that does not list it") }
        }
        if liveTotal != count { problems.append("count changed during the check") }
        return problems
    }
}
