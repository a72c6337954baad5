public import PushModel
import PushSync

extension ShardedIndex {
    // MARK: Audiences

    func changeAudience(_ name: AudienceName, kind: AudienceKind, replace: [AudienceMember]?, add: [AudienceMember], remove: [AudienceMember]) throws(ValidationError) -> AudienceInfo? {
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
}
