public import PushModel
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import PushSync


/// Custom audiences by name. Guarded by its own lock, never held with another.
struct AudienceStore: Sendable {
    var sets: [AudienceName: (kind: AudienceKind, keys: KeySet)] = [:]
}

/// The in-memory index of one app's installations, custom attributes and audiences,
/// safe to use from many threads at once.
///
/// ## Layout
/// Installations live in a power-of-two number of *row shards*, chosen by the hash of the
/// installation ID; each row is 96 packed bytes (no `String` or object per installation).
/// Secondary keys — tokens, advertising IDs, custom IDs with their attributes — live in a
/// second power-of-two set of *key shards*, chosen by the hash of that key. Every key is
/// hashed once: low bits pick the shard, high bits are the table fingerprint.
///
/// ## Locking
/// Each shard is a `Synchronization.Mutex`. Lock order is fixed: at most one row shard,
/// then at most one key shard inside it; the attribute registry and the audience store are
/// only taken alone. Lookups by secondary key read candidates in the key shard, release it,
/// then confirm each candidate under its row shard. Whole-index passes take shards one at
/// a time, in order. No lock is held while a scan's body runs.
///
/// ## Mutations
/// Every change goes through `apply(_:)`; the convenience methods call it. The engine's
/// command path (`PushApp.apply`) orders changes, numbers them and lets a journal refuse them
/// before they reach this funnel.
public final class ShardedIndex: Sendable {
    /// Sizing of the index.
    public struct Configuration: Sendable {
        /// Row shards (a power of two). More shards mean less contention and finer scan work units.
        public var rowShards: Int
        /// Key shards (a power of two).
        public var keyShards: Int
        /// Installations to reserve room for: tables and row arrays are allocated once for
        /// this many, instead of growing (growing leaves freed blocks in the allocator).
        public var expectedInstallations: Int
        /// Expected fraction of installations with a custom ID (presizing only).
        public var expectedCustomIDShare: Double
        /// Expected fraction of installations with an advertising ID (presizing only).
        public var expectedAdvertisingIDShare: Double
        /// Hash seed; random when nil. Fix it only for reproducible layouts in tests.
        public var hashSeed: UInt64?

        /// The default shard count for this process: ``shardCount(cores:)`` of the CPUs it may
        /// run on (its affinity mask, so a cpuset or `taskset` counts, not the host's CPUs; the
        /// online count when the mask cannot be read). 32 on two cores.
        public static let defaultShardCount: Int = shardCount(cores: usableCores())

        /// 16 shards per core, as a power of two between 16 and 256. Measured on two cores, a
        /// 10M bulk build over 32 shards took 4.6 s, over 64 shards 5.2 s and over 256 shards
        /// 6.5 s (PERFORMANCE.md): fewer, larger shard groups per call load more table slots
        /// together, and with 16 shards per thread two writers rarely meet on one lock.
        public static func shardCount(cores: Int) -> Int {
            var n = 16
            while n < 16 * max(1, cores) && n < 256 { n *= 2 }
            return n
        }

        /// The CPUs this process may run on. CPU quotas (cgroup `cpu.max`) are not seen.
        static func usableCores() -> Int {
            // `sched_getaffinity` is a GNU extension the Glibc module does not import: looked up.
            typealias GetAffinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer?) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") {
                let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
                var mask = [UInt64](repeating: 0, count: 16)  // 1,024 CPUs
                let ok = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress) } == 0
                let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
                if ok && count > 0 { return count }
            }
            return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        }

        /// Creates a configuration.
        public init(rowShards: Int = Configuration.defaultShardCount, keyShards: Int = Configuration.defaultShardCount,
                    expectedInstallations: Int = 0,
                    expectedCustomIDShare: Double = 0.6, expectedAdvertisingIDShare: Double = 0.5, hashSeed: UInt64? = nil) {
            self.rowShards = rowShards
            self.keyShards = keyShards
            self.expectedInstallations = expectedInstallations
            self.expectedCustomIDShare = expectedCustomIDShare
            self.expectedAdvertisingIDShare = expectedAdvertisingIDShare
            self.hashSeed = hashSeed
        }
    }


    let rowShards: [Locked<RowShard>]
    let keyShards: [Locked<KeyShard>]
    let registry = Locked(AttributeRegistry())
    let audienceStore = Locked(AudienceStore())
    let hasher: KeyHasher
    let rowShardMask: Int
    let keyShardMask: Int
    let rowBits: UInt32
    let recordBits: UInt32

    /// Creates an empty index.
    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.rowShards > 0 && configuration.rowShards & (configuration.rowShards - 1) == 0,
                     "rowShards must be a power of two")
        precondition(configuration.keyShards > 0 && configuration.keyShards & (configuration.keyShards - 1) == 0,
                     "keyShards must be a power of two")
        let seed = configuration.hashSeed ?? UInt64.random(in: .min ... .max)
        hasher = KeyHasher(seed: seed)
        rowShardMask = configuration.rowShards - 1
        keyShardMask = configuration.keyShards - 1
        rowBits = 32 - UInt32(configuration.rowShards.trailingZeroBitCount)
        recordBits = 32 - UInt32(configuration.keyShards.trailingZeroBitCount)
        let perRowShard = configuration.expectedInstallations / configuration.rowShards
        let perKeyShard = configuration.expectedInstallations / configuration.keyShards
        rowShards = (0..<configuration.rowShards).map { _ in Locked(RowShard(expected: perRowShard, seed: seed)) }
        let hasher = self.hasher
        keyShards = (0..<configuration.keyShards).map { _ in
            Locked(KeyShard(expectedTokens: perKeyShard,
                            expectedAdvertising: Int(Double(perKeyShard) * configuration.expectedAdvertisingIDShare),
                            expectedCustom: Int(Double(perKeyShard) * configuration.expectedCustomIDShare), hasher: hasher))
        }
    }

    // MARK: References

    var maxRowsPerShard: Int { Int((UInt64(1) << rowBits) - 1) }
    var maxRecordsPerShard: Int { Int((UInt64(1) << recordBits) - 1) }

    @inline(__always) func rowShardIndex(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h) & rowShardMask }
    @inline(__always) func keyShardIndex(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h) & keyShardMask }
    @inline(__always) func rowRef(_ shard: Int, _ row: UInt32) -> UInt32 { rowBits == 32 ? row : UInt32(shard) << rowBits | row }
    @inline(__always) func shard(ofRow ref: UInt32) -> Int { rowBits == 32 ? 0 : Int(ref >> rowBits) }
    @inline(__always) func row(ofRef ref: UInt32) -> UInt32 { rowBits == 32 ? ref : ref & ((1 << rowBits) - 1) }
    @inline(__always) func recordRef(_ shard: Int, _ record: UInt32) -> UInt32 {
        recordBits == 32 ? record : UInt32(shard) << recordBits | record
    }
    @inline(__always) func shard(ofRecord ref: UInt32) -> Int { recordBits == 32 ? 0 : Int(ref >> recordBits) }
    @inline(__always) func record(ofRef ref: UInt32) -> UInt32 { recordBits == 32 ? ref : ref & ((1 << recordBits) - 1) }


    // MARK: Materialising

    /// The custom ID of a row (takes its key shard's lock; call under the row's shard lock).
    func customID(of row: Row) -> CustomID? {
        guard row.customRef != Row.none else { return nil }
        let record = record(ofRef: row.customRef)
        return keyShards[shard(ofRecord: row.customRef)].withLock { $0.customID(record) }
    }

    /// Rebuilds an `Installation` from a row (call under the row's shard lock).
    func installation(_ row: Row, in s: borrowing RowShard, resolvingCustomID: Bool = true) -> Installation {
        var advertisingID: AdvertisingID? = nil
        if row.has(Row.hasAdvertisingID) {
            advertisingID = AdvertisingID(unchecked: UUIDBytes(hi: row.advHi, lo: row.advLo),
                                          letterCase: row.has(Row.upperCaseAdvertisingID) ? .upper : .lower)
        }
        return Installation(
            id: s.installationID(row),
            platform: row.has(Row.android) ? .android : .iOS,
            token: s.token(row),
            customID: resolvingCustomID ? customID(of: row) : nil,
            advertisingID: advertisingID,
            pushOptIn: row.has(Row.optIn),
            language: row.language == 0 ? nil : LanguageCode(packed: row.language),
            region: row.region == 0 ? nil : RegionCode(packed: row.region),
            timeZone: s.strings[row.timeZone].map { TimeZoneID(unchecked: $0) },
            appVersion: s.strings[row.appVersion].map { AppVersion(unchecked: $0) },
            createdAt: Timestamp(secondsSince1970: Int64(row.createdAt)),
            lastSeenAt: Timestamp(secondsSince1970: Int64(row.lastSeenAt)),
            tokenRegisteredAt: Timestamp(millisecondsSince1970: row.tokenRegisteredAt))
    }

    /// Reads the custom IDs behind `refs` (custom-record references, `Row.none` for none),
    /// taking each key shard's lock once: the record reads of one shard overlap instead of
    /// queueing behind one lock round-trip each. Call under the lock of the row shard the
    /// references were read from, so no record can be freed and reused meanwhile.
    func customIDs(_ refs: [UInt32], _ assign: (Int, CustomID) -> Void) {
        let n = refs.count
        guard n > 0 else { return }
        let byShard = Self.bucketed(n, buckets: keyShards.count + 1) { i in
            refs[i] == Row.none ? keyShards.count : shard(ofRecord: refs[i])
        }
        // Two passes: the first loads every record and its bytes (independent misses that
        // overlap across the whole batch), the second, finding them cached, builds the IDs.
        // Each pass reads under the key shard's lock; only the second keeps what it read.
        if n >= 64 {
            for k in keyShards.indices where byShard.starts[k] < byShard.starts[k + 1] {
                keyShards[k].withLock { ks in
                    var sink: UInt64 = 0
                    for j in byShard.starts[k]..<byShard.starts[k + 1] {
                        sink ^= ks.touchCustomID(record(ofRef: refs[byShard.order[j]]))
                    }
                    ks.touchSink ^= sink
                }
            }
        }
        for k in keyShards.indices where byShard.starts[k] < byShard.starts[k + 1] {
            keyShards[k].withLock { ks in
                for j in byShard.starts[k]..<byShard.starts[k + 1] {
                    let i = byShard.order[j]
                    assign(i, ks.customID(record(ofRef: refs[i])))
                }
            }
        }
    }

    // MARK: The mutation funnel

    /// Applies one mutation: the only way the index changes.
    ///
    /// Input is validated before anything changes: on a `ValidationError` (naming the
    /// field) the index is as it was.
    @discardableResult
    public func apply(_ mutation: IndexMutation) throws(ValidationError) -> MutationOutcome {
        let outcome: MutationOutcome
        switch mutation {
        case .upsert(let installation):
            let result = try upsertInstallation(installation)
            outcome = .upserted(result)
        case .deleteToken(let token, let id, let invalidatedAt):
            let result = removeToken(token, of: id, invalidatedAt: invalidatedAt)
            outcome = .tokenDeletion(result)
        case .deleteInstallation(let id):
            let result = removeInstallation(id)
            outcome = .installationDeleted(result)
        case .setAttributes(let customID, let values, let overwrite):
            let result = try writeAttributes(customID, values: values, overwrite: overwrite)
            outcome = .attributesWritten(count: result)
        case .deleteAttributes(let customID):
            let result = try writeAttributes(customID, values: [:], overwrite: true)
            outcome = .attributesWritten(count: result)
        case .replaceAudience(let name, let kind, let members):
            let result = try changeAudience(name, kind: kind, replace: members, add: [], remove: [])
            outcome = .audience(result)
        case .updateAudience(let name, let kind, let add, let remove):
            let result = try changeAudience(name, kind: kind, replace: nil, add: add, remove: remove)
            outcome = .audience(result)
        case .deleteAudience(let name):
            audienceStore.withLock { store in store.sets[name] = nil }
            outcome = .audience(nil)
        }
        return outcome
    }

    /// Creates or replaces an installation; reports creation, opt-in and token changes.
    ///
    /// A token held by another installation moves to this one (the other loses it) unless
    /// the other registered it later. `createdAt` keeps the earliest value seen.
    @discardableResult
    public func upsert(_ installation: Installation) throws(ValidationError) -> UpsertOutcome {
        guard case .upserted(let outcome) = try apply(.upsert(installation)) else { preconditionFailure() }
        return outcome
    }

    /// Removes a token after a gateway invalidated it (see `IndexMutation.deleteToken`).
    @discardableResult
    public func deleteToken(_ token: DeviceToken, of id: InstallationID, invalidatedAt: Timestamp) -> TokenDeletion {
        guard case .tokenDeletion(let result) = try? apply(.deleteToken(token, installation: id, invalidatedAt: invalidatedAt)) else {
            preconditionFailure()
        }
        return result
    }

    /// Removes an installation; returns it as it was, nil when unknown.
    @discardableResult
    public func deleteInstallation(_ id: InstallationID) -> Installation? {
        guard case .installationDeleted(let old) = try? apply(.deleteInstallation(id)) else { preconditionFailure() }
        return old
    }

    /// Writes custom attributes (merge unless `overwrite`); returns how many the user now has.
    @discardableResult
    public func setAttributes(_ values: [AttributeName: AttributeValue], for customID: CustomID, overwrite: Bool = false) throws(ValidationError) -> Int {
        guard case .attributesWritten(let n) = try apply(.setAttributes(customID, values: values, overwrite: overwrite)) else {
            preconditionFailure()
        }
        return n
    }

    /// Deletes all custom attributes of a user.
    public func deleteAttributes(for customID: CustomID) {
        _ = try? apply(.deleteAttributes(customID))
    }

    /// Creates or replaces an audience atomically.
    @discardableResult
    public func replaceAudience(_ name: AudienceName, kind: AudienceKind, members: [AudienceMember]) throws(ValidationError) -> AudienceInfo? {
        guard case .audience(let info) = try apply(.replaceAudience(name, kind: kind, members: members)) else { preconditionFailure() }
        return info
    }

    /// Adds and removes audience members atomically (creates the audience when missing).
    @discardableResult
    public func updateAudience(_ name: AudienceName, kind: AudienceKind, add: [AudienceMember] = [], remove: [AudienceMember] = []) throws(ValidationError) -> AudienceInfo? {
        guard case .audience(let info) = try apply(.updateAudience(name, kind: kind, add: add, remove: remove)) else { preconditionFailure() }
        return info
    }

    /// Deletes an audience.
    public func deleteAudience(_ name: AudienceName) {
        _ = try? apply(.deleteAudience(name))
    }

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

    private func upsertInstallation(_ inst: Installation) throws(ValidationError) -> UpsertOutcome {
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
    private func detachCustom(_ customRef: UInt32, _ ref: UInt32) {
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

    private func removeToken(_ token: DeviceToken, of id: InstallationID, invalidatedAt: Timestamp) -> TokenDeletion {
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

    private func removeInstallation(_ id: InstallationID) -> Installation? {
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

    // MARK: Attributes

    private func writeAttributes(_ customID: CustomID, values: [AttributeName: AttributeValue], overwrite: Bool) throws(ValidationError) -> Int {
        for (name, value) in values { try value.validate(field: "values.\(name.value)") }
        let h = hasher.hash(customID)
        let k = keyShardIndex(h)
        let maxRecords = maxRecordsPerShard
        return try keyShards[k].withLock { (ks: inout KeyShard) throws(ValidationError) -> Int in
            // Names and types never change once registered: each key shard keeps what it has
            // seen, so writers only take the shared registry lock for a name new to the shard.
            let resolved: [(UInt16?, AttributeName, AttributeValue)]
            if let cached = ks.resolveCached(values) {
                resolved = cached
            } else {
                resolved = try registry.withLock { (r: inout AttributeRegistry) throws(ValidationError) in try r.resolve(values) }
                for (code, name, value) in resolved {
                    if let code, let type = value.type { ks.knownAttributes[name.value] = (code, type) }
                }
            }
            let record: UInt32
            if let found = ks.findRecord(customID, fingerprint: h.fingerprint) {
                record = found
            } else if resolved.contains(where: { $0.2 != .null }) {
                record = ks.findOrCreateRecord(customID, fingerprint: h.fingerprint, maxRecords: maxRecords)
            } else {
                return (0)  // nothing to delete for an unknown user
            }
            var current: [UInt16: AttributeEntry] = [:]
            for e in ks.attributeEntries(record) {
                if overwrite {
                    if e.type == .string || e.type == .tags { ks.arena.garbage += Int(e.payload & 0xFFFF) }
                } else {
                    current[e.name] = e
                }
            }
            for (code, _, value) in resolved {
                guard let code else { continue }
                if let old = current[code], old.type == .string || old.type == .tags { ks.arena.garbage += Int(old.payload & 0xFFFF) }
                current[code] = ks.encode(value, name: code)
            }
            ks.setEntries(record, current.values.sorted { $0.name < $1.name })
            ks.freeRecordIfUnused(record)
            ks.compactIfNeeded()
            return (current.count)
        }
    }

    /// The custom attributes of a user (empty when none).
    public func attributes(for customID: CustomID) -> [AttributeName: AttributeValue] {
        let h = hasher.hash(customID)
        let coded: [(UInt16, AttributeValue)] = keyShards[keyShardIndex(h)].withLock { ks in
            guard let r = ks.findRecord(customID, fingerprint: h.fingerprint) else { return [] }
            return ks.attributeEntries(r).map { ($0.name, ks.decode($0)) }
        }
        guard !coded.isEmpty else { return [:] }
        let names = registry.withLock { $0.names }
        var out: [AttributeName: AttributeValue] = [:]
        for (code, value) in coded { out[names[Int(code)]] = value }
        return out
    }

    /// The type an attribute name was first written with, nil when never written.
    public func attributeType(_ name: AttributeName) -> AttributeType? {
        registry.withLock { $0.lookup(name)?.type }
    }

    // MARK: Audiences

    private func changeAudience(_ name: AudienceName, kind: AudienceKind, replace: [AudienceMember]?, add: [AudienceMember], remove: [AudienceMember]) throws(ValidationError) -> AudienceInfo? {
        for (field, members) in [("ids", replace ?? []), ("add", add), ("remove", remove)] {
            for (i, m) in members.enumerated() where m.kind != kind {
                throw ValidationError(field: "\(field)[\(i)]", reason: .wrongType(expected: kind.rawValue, actual: m.kind.rawValue))
            }
        }
        var fresh: KeySet? = nil
        if let replace {
            var set = KeySet(hasher: hasher)
            for m in replace { _ = Self.withKey(m) { set.insert($0) } }
            fresh = set
        }
        let hasher = self.hasher
        return try audienceStore.withLock { (store: inout AudienceStore) throws(ValidationError) -> AudienceInfo? in
            if let existing = store.sets[name], existing.kind != kind, replace == nil {
                throw ValidationError(field: "type", reason: .inconsistent("audience '\(name.value)' lists \(existing.kind.rawValue)"))
            }
            var keys = fresh ?? store.sets[name]?.keys ?? KeySet(hasher: hasher)
            store.sets[name] = nil  // keep the set uniquely referenced while it changes
            for m in add { _ = Self.withKey(m) { keys.insert($0) } }
            for m in remove { _ = Self.withKey(m) { keys.remove($0) } }
            store.sets[name] = (kind, keys)
            return (AudienceInfo(name: name, kind: kind, count: keys.count))
        }
    }

    static func withKey<R>(_ member: AudienceMember, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch member {
        case .customID(let id): return AudienceKeys.custom(id, body)
        case .advertisingID(let id): return AudienceKeys.uuid(id.uuid, body)
        case .installationID(let id): return AudienceKeys.installation(id, body)
        }
    }

    /// An audience's description, nil when unknown.
    public func audience(_ name: AudienceName) -> AudienceInfo? {
        audienceStore.withLock { store in
            store.sets[name].map { AudienceInfo(name: name, kind: $0.kind, count: $0.keys.count) }
        }
    }

    /// Every audience, by name.
    public func audiences() -> [AudienceInfo] {
        audienceStore.withLock { store in
            store.sets.map { AudienceInfo(name: $0.key, kind: $0.value.kind, count: $0.value.keys.count) }
        }.sorted { $0.name < $1.name }
    }

    /// Whether `member` is listed in audience `name`.
    public func audience(_ name: AudienceName, contains member: AudienceMember) -> Bool {
        audienceStore.withLock { store in
            guard let entry = store.sets[name], entry.kind == member.kind else { return false }
            return Self.withKey(member) { entry.keys.contains($0) }
        }
    }

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
    private func resolve<R>(_ token: DeviceToken, _ read: (Row, borrowing RowShard) -> R) -> R? {
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
