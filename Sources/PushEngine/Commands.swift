public import PushIndex
public import PushModel

/// A change to an app's installations.
public enum InstallationCommand: Hashable, Sendable {
    /// Creates or replaces an installation (an SDK start, a token registration).
    case upsert(Installation)
    /// Creates or replaces many installations in one step (an import, a resynchronisation):
    /// all are validated first, then applied in order.
    case upsertMany([Installation])
    /// Removes an installation and all its keys.
    case delete(InstallationID)
    /// Removes a token a gateway invalidated at `invalidatedAt`, if `installation` still holds
    /// it and registered it before that moment (Apple's rule). Delivery feedback takes this path.
    case removeToken(DeviceToken, installation: InstallationID, invalidatedAt: Timestamp)
}

/// A change to custom attributes, by custom user ID.
public enum AttributeCommand: Hashable, Sendable {
    /// Writes attributes: `overwrite` replaces all of them, otherwise merges (a `.null` value
    /// removes that attribute).
    case set(CustomID, values: [AttributeName: AttributeValue], overwrite: Bool)
    /// Removes every attribute of the user.
    case delete(CustomID)
}

/// A change to a custom audience.
public enum AudienceCommand: Hashable, Sendable {
    /// Creates an audience or replaces its whole content, atomically.
    case replace(AudienceName, kind: AudienceKind, members: [AudienceMember])
    /// Adds and removes members in one step (creating the audience when missing).
    case update(AudienceName, kind: AudienceKind, add: [AudienceMember], remove: [AudienceMember])
    /// Deletes the audience.
    case delete(AudienceName)
}

/// Every change to an app's state, one family per case. ``PushApp/apply(_:)`` is the only way
/// an app's state changes; campaigns join as another family.
public enum AppCommand: Hashable, Sendable {
    /// Installations.
    case installation(InstallationCommand)
    /// Custom attributes.
    case attributes(AttributeCommand)
    /// Custom audiences.
    case audience(AudienceCommand)

    /// Input checks that need no state (fields, sizes), done before a sequence number is
    /// drawn, so a command the hook admits is well formed. Checks against state (an attribute
    /// retyped, an unknown audience) are made when the index applies it.
    func validate() throws(ValidationError) {
        switch self {
        case .installation(.upsert(let i)): try i.validate()
        case .installation(.upsertMany):
            break  // validated (and hashed) by the index's `prepare`, once, before admission
        default: break
        }
    }

    /// The index mutations that carry this command out, in order.
    var mutations: [IndexMutation] {
        switch self {
        case .installation(.upsert(let i)): return [.upsert(i)]
        case .installation(.upsertMany(let all)): return all.map { .upsert($0) }
        case .installation(.delete(let id)): return [.deleteInstallation(id)]
        case .installation(.removeToken(let t, let id, let at)): return [.deleteToken(t, installation: id, invalidatedAt: at)]
        case .attributes(.set(let id, let values, let overwrite)): return [.setAttributes(id, values: values, overwrite: overwrite)]
        case .attributes(.delete(let id)): return [.deleteAttributes(id)]
        case .audience(.replace(let n, let k, let m)): return [.replaceAudience(n, kind: k, members: m)]
        case .audience(.update(let n, let k, let a, let r)): return [.updateAudience(n, kind: k, add: a, remove: r)]
        case .audience(.delete(let n)): return [.deleteAudience(n)]
        }
    }
}

/// What a command did.
public enum CommandOutcome: Hashable, Sendable {
    /// `.installation(.upsert)`.
    case upserted(UpsertOutcome)
    /// `.installation(.upsertMany)`: one outcome per installation, in order.
    case upsertedMany([UpsertOutcome])
    /// `.installation(.delete)`: the installation as it was, nil when unknown.
    case installationDeleted(Installation?)
    /// `.installation(.removeToken)`.
    case tokenRemoval(TokenDeletion)
    /// `.attributes`: how many attributes the user has now.
    case attributesWritten(count: Int)
    /// `.audience`: the audience after the change (nil once deleted).
    case audience(AudienceInfo?)
}

/// A command with its place in the app's order, as the hook sees it.
public struct CommandRecord: Hashable, Sendable {
    /// The app's name (``AppConfiguration/name``): records of several apps can share a journal.
    public var app: String
    /// 1, 2, 3, … per app, in the order the commands are applied: replaying the records of an
    /// app in this order onto an empty app rebuilds the same state.
    public var sequence: UInt64
    /// The command.
    public var command: AppCommand
}

/// Why a hook refused a command: the caller gets it, and nothing changed.
public struct CommandRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong and what to do (for example "journal: disk full; free space and retry").
    public var reason: String

    /// Creates a refusal.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}

/// Sees every command of an app before the index applies it, and may refuse it. The journal is
/// such a hook.
///
/// ``admit(_:)`` runs in sequence order while the app's command lock is held, so it must be
/// quick (append to a buffer; no I/O wait). ``durable(through:)`` runs after the change was
/// applied, without the lock: it is where a caller waits for an fsync, and where concurrent
/// callers can share one (group commit).
public protocol CommandHook: Sendable {
    /// Takes the record before the index applies it; throwing refuses the command (nothing
    /// changes, the sequence number is not used).
    func admit(_ record: CommandRecord) throws(CommandRefusal)
    /// Returns once the record with this sequence number (and every one before it) is durable.
    /// - Throws: ``CommandRefusal`` when it cannot be made durable; the change is applied in
    ///   memory but the caller must not be told it succeeded.
    func durable(through sequence: UInt64) async throws(CommandRefusal)
}
