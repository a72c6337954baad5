import PushModel
import PushSync

extension ShardedIndex {
    // MARK: Installations

    /// The hashes of an installation's keys, computed once before any lock.
    struct UpsertHashes {
        var id: UInt64
        var token: UInt64?
        var custom: UInt64?
        var advertising: UInt64?
    }

    @inline(__always)
    func upsertHashes(_ inst: UnsafePointer<Installation>) -> UpsertHashes {
        UpsertHashes(id: hasher.hash(inst.pointee.id), token: inst.pointee.token.map { hasher.hash($0) },
                     custom: inst.pointee.customID.map { hasher.hash($0) }, advertising: inst.pointee.advertisingID.map { hasher.hash($0) })
    }

    func upsertInstallation(_ inst: Installation) throws(ValidationError) -> UpsertOutcome {
        try inst.validate()
        var displaced: [UInt32] = []
        // Every key is hashed once, before any lock. The body reads the installation through a
        // pointer, as the bulk path does (passing it by value copies it, strings and all).
        let (outcome, ref) = withUnsafePointer(to: inst) { p in
            let hashes = upsertHashes(p)
            let b = rowShardIndex(hashes.id)
            return rowShards[b].withLock { s -> (UpsertOutcome, UInt32) in
                upsertLocked(p, hashes, shard: b, &s, displaced: &displaced)
            }
        }
        if let token = inst.token {
            for victim in displaced {
                settleTokenConflict(token, holder: ref, registeredAt: inst.tokenRegisteredAt.millisecondsSince1970, other: victim)
            }
        }
        return outcome
    }

    /// The body of an upsert, under row shard `b`'s lock (`s`). Installations that held the
    /// same token before are appended to `displaced`: the caller settles them after unlocking.
    @inline(__always)
    func upsertLocked(_ inst: UnsafePointer<Installation>, _ hashes: UpsertHashes, shard b: Int, _ s: inout RowShard,
                      displaced: inout [UInt32]) -> (UpsertOutcome, UInt32) {
        let idHash = hashes.id
        let tokenHash = hashes.token
        let customHash = hashes.custom
        let advertisingHash = hashes.advertising
        var created = false
        let r: UInt32
        if let found = s.find(inst.pointee.id, fingerprint: idHash.fingerprint) {
            r = found
        } else {
            r = s.allocate(inst.pointee.id, fingerprint: idHash.fingerprint, maxRows: maxRowsPerShard)
            created = true
        }
        let ref = rowRef(b, r)
        var row = s.rows[Int(r)]
        let wasOptedIn = !created && row.has(Row.optIn)

        // Token: moves between key-shard entries when it changes.
        let sameToken: Bool
        if let token = inst.pointee.token {
            sameToken = row.tokenLength != 0 && row.has(Row.android) == (inst.pointee.platform == .android) && s.tokenEquals(row, token)
        } else {
            sameToken = row.tokenLength == 0
        }
        if !sameToken {
            if row.tokenLength != 0 {
                let oldHash = s.withToken(row) { hasher.hash($0, domain: row.has(Row.android) ? .fcmToken : .apnsToken) }
                keyShards[keyShardIndex(oldHash)].withLock { _ = $0.tokens.remove(oldHash.fingerprint, ref) }
                s.clearToken(&row)
            }
            row.set(Row.android, inst.pointee.platform == .android)
            if let token = inst.pointee.token, let th = tokenHash {
                s.setToken(&row, token)
                keyShards[keyShardIndex(th)].withLock { ks in
                    _ = ks.tokens.first(th.fingerprint) { other in
                        if other != ref { displaced.append(other) }
                        return false
                    }
                    ks.tokens.insert(th.fingerprint, ref)
                }
            }
            row.tokenRegisteredAt = inst.pointee.tokenRegisteredAt.millisecondsSince1970
        } else if inst.pointee.token != nil {
            row.tokenRegisteredAt = max(row.tokenRegisteredAt, inst.pointee.tokenRegisteredAt.millisecondsSince1970)
        }
        row.set(Row.android, inst.pointee.platform == .android)

        // Custom ID: one record per user in its key shard, listing the user's installations.
        let oldCustom = row.customRef
        if let customID = inst.pointee.customID, let ch = customHash {
            let k = keyShardIndex(ch)
            var same = false
            if oldCustom != Row.none && shard(ofRecord: oldCustom) == k {
                let record = record(ofRef: oldCustom)
                same = keyShards[k].withLock { $0.recordMatches(record, customID) }
            }
            if !same {
                if oldCustom != Row.none { detachCustom(oldCustom, ref) }
                let maxRecords = maxRecordsPerShard
                let record = keyShards[k].withLock { ks in
                    let record = ks.findOrCreateRecord(customID, fingerprint: ch.fingerprint, maxRecords: maxRecords)
                    ks.addDevice(record, ref)
                    return record
                }
                row.customRef = recordRef(k, record)
            }
        } else if oldCustom != Row.none {
            detachCustom(oldCustom, ref)
            row.customRef = Row.none
        }

        // Advertising ID: a multimap entry (reinstalls share one).
        let oldAdvertising = row.has(Row.hasAdvertisingID) ? UUIDBytes(hi: row.advHi, lo: row.advLo) : nil
        if oldAdvertising != inst.pointee.advertisingID?.uuid {
            if let old = oldAdvertising {
                let oh = hasher.hash(old, domain: .advertisingID)
                keyShards[keyShardIndex(oh)].withLock { _ = $0.advertising.remove(oh.fingerprint, ref) }
            }
            if let adv = inst.pointee.advertisingID, let ah = advertisingHash {
                keyShards[keyShardIndex(ah)].withLock { $0.advertising.insert(ah.fingerprint, ref) }
                row.advHi = adv.uuid.hi
                row.advLo = adv.uuid.lo
            } else {
                row.advHi = 0
                row.advLo = 0
            }
        }
        row.set(Row.hasAdvertisingID, inst.pointee.advertisingID != nil)
        row.set(Row.upperCaseAdvertisingID, inst.pointee.advertisingID?.letterCase == .upper)
        if case .uuid(_, let letterCase) = inst.pointee.id.storage { row.set(Row.upperCaseID, letterCase == .upper) }

        row.set(Row.optIn, inst.pointee.pushOptIn)
        row.language = inst.pointee.language?.packed ?? 0
        row.region = inst.pointee.region?.packed ?? 0
        row.timeZone = inst.pointee.timeZone.map { s.strings.code($0.value) } ?? 0
        row.appVersion = inst.pointee.appVersion.map { s.strings.code($0.value) } ?? 0
        let created32 = packedSeconds(inst.pointee.createdAt)
        row.createdAt = created ? created32 : min(row.createdAt, created32)
        row.lastSeenAt = packedSeconds(inst.pointee.lastSeenAt)
        s.rows[Int(r)] = row
        s.compactIfNeeded()

        let change: OptInChange? = wasOptedIn == inst.pointee.pushOptIn ? nil : (inst.pointee.pushOptIn ? .optedIn : .optedOut)
        return (UpsertOutcome(created: created, optInChange: change, tokenChanged: !sameToken), ref)
    }

    /// Removes installation `ref` from the custom record `customRef` (under the row's lock).
    func detachCustom(_ customRef: UInt32, _ ref: UInt32) {
        let record = record(ofRef: customRef)
        keyShards[shard(ofRecord: customRef)].withLock { $0.removeDevice(record, ref) }
    }

    /// Two installations hold one token (a device reinstalled, or restored onto another
    /// installation): the one that registered it last keeps it, ties going to the higher reference.
    /// Takes one row shard at a time; each displacement runs this once, so the state converges.
    func settleTokenConflict(_ token: DeviceToken, holder: UInt32, registeredAt: Int64, other: UInt32) {
        let th = hasher.hash(token)
        let k = keyShardIndex(th)
        let otherWins: Bool? = rowShards[shard(ofRow: other)].withLock { s in
            let r = row(ofRef: other)
            guard Int(r) < s.rows.count else { return nil }
            var row = s.rows[Int(r)]
            guard row.has(Row.live), s.tokenEquals(row, token) else { return nil }
            if (row.tokenRegisteredAt, other) < (registeredAt, holder) {
                keyShards[k].withLock { _ = $0.tokens.remove(th.fingerprint, other) }
                s.clearToken(&row)
                s.rows[Int(r)] = row
                return false
            }
            return true
        }
        guard otherWins == true else { return }
        rowShards[shard(ofRow: holder)].withLock { s in
            let r = row(ofRef: holder)
            var row = s.rows[Int(r)]
            guard row.has(Row.live), s.tokenEquals(row, token), row.tokenRegisteredAt <= registeredAt else { return }
            keyShards[k].withLock { _ = $0.tokens.remove(th.fingerprint, holder) }
            s.clearToken(&row)
            s.rows[Int(r)] = row
        }
    }

    func removeToken(_ token: DeviceToken, of id: InstallationID, invalidatedAt: Timestamp) -> TokenDeletion {
        let idHash = hasher.hash(id)
        let th = hasher.hash(token)
        let b = rowShardIndex(idHash)
        return rowShards[b].withLock { s in
            guard let r = s.find(id, fingerprint: idHash.fingerprint) else { return (.notCurrent) }
            var row = s.rows[Int(r)]
            guard s.tokenEquals(row, token) else { return (.notCurrent) }
            guard invalidatedAt.millisecondsSince1970 > row.tokenRegisteredAt else {
                return (.registeredAfterInvalidation)
            }
            let ref = rowRef(b, r)
            keyShards[keyShardIndex(th)].withLock { _ = $0.tokens.remove(th.fingerprint, ref) }
            s.clearToken(&row)
            s.rows[Int(r)] = row
            return (.deleted)
        }
    }

    func removeInstallation(_ id: InstallationID) -> Installation? {
        let idHash = hasher.hash(id)
        let b = rowShardIndex(idHash)
        return rowShards[b].withLock { s in
            guard let r = s.find(id, fingerprint: idHash.fingerprint) else { return (nil) }
            let row = s.rows[Int(r)]
            let old = installation(row, in: s)
            let ref = rowRef(b, r)
            if row.tokenLength != 0 {
                let th = s.withToken(row) { hasher.hash($0, domain: row.has(Row.android) ? .fcmToken : .apnsToken) }
                keyShards[keyShardIndex(th)].withLock { _ = $0.tokens.remove(th.fingerprint, ref) }
            }
            if row.has(Row.hasAdvertisingID) {
                let ah = hasher.hash(UUIDBytes(hi: row.advHi, lo: row.advLo), domain: .advertisingID)
                keyShards[keyShardIndex(ah)].withLock { _ = $0.advertising.remove(ah.fingerprint, ref) }
            }
            if row.customRef != Row.none { detachCustom(row.customRef, ref) }
            s.release(r, fingerprint: idHash.fingerprint)
            s.compactIfNeeded()
            return (old)
        }
    }
}
