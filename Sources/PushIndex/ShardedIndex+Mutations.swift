public import PushModel
import PushSync

extension ShardedIndex {
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
}
