public import PushModel
import PushSync

extension ShardedIndex {
    // MARK: Attributes

    func writeAttributes(_ customID: CustomID, values: [AttributeName: AttributeValue], overwrite: Bool) throws(ValidationError) -> Int {
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
}
