public import PushModel

/// Every change the index accepts. All mutations go through `ShardedIndex.apply(_:)`; the
/// engine's command path (`AppCommand` in PushEngine) is what orders and journals them.
public enum IndexMutation: Hashable, Sendable {
    /// Creates or replaces an installation (the SDK's "start" / token registration).
    case upsert(Installation)
    /// Removes a token a gateway invalidated at `invalidatedAt`, if `installation` still holds it
    /// and registered it before that moment (APNs 410 timestamp rule).
    case deleteToken(DeviceToken, installation: InstallationID, invalidatedAt: Timestamp)
    /// Removes an installation and all its keys.
    case deleteInstallation(InstallationID)
    /// Writes custom attributes of a user: `overwrite` replaces all of them, otherwise merges
    /// (a `.null` value deletes that attribute).
    case setAttributes(CustomID, values: [AttributeName: AttributeValue], overwrite: Bool)
    /// Deletes every custom attribute of a user.
    case deleteAttributes(CustomID)
    /// Creates an audience or replaces its whole content, atomically.
    case replaceAudience(AudienceName, kind: AudienceKind, members: [AudienceMember])
    /// Adds and removes members in one step (creating the audience when missing).
    case updateAudience(AudienceName, kind: AudienceKind, add: [AudienceMember], remove: [AudienceMember])
    /// Deletes an audience.
    case deleteAudience(AudienceName)
}

/// A change of push opt-in, reported so the event log writes `push_optin` / `push_optout`.
public enum OptInChange: Hashable, Sendable {
    /// The installation now accepts notifications (including a new installation that does).
    case optedIn
    /// The installation no longer accepts notifications.
    case optedOut
}

/// What an upsert did.
public struct UpsertOutcome: Hashable, Sendable {
    /// The installation was not in the index before.
    public var created: Bool
    /// The opt-in changed (nil when it did not).
    public var optInChange: OptInChange?
    /// The token differs from the one held before (added, replaced or removed).
    public var tokenChanged: Bool

    /// Creates an outcome.
    public init(created: Bool, optInChange: OptInChange?, tokenChanged: Bool) {
        self.created = created
        self.optInChange = optInChange
        self.tokenChanged = tokenChanged
    }
}

/// What a token deletion did.
public enum TokenDeletion: Hashable, Sendable {
    /// The token was removed (the event log writes `token_deleted`).
    case deleted
    /// The installation is unknown or holds another token (it moved on): nothing changed.
    case notCurrent
    /// The installation registered the token at or after the invalidation: kept.
    case registeredAfterInvalidation
}

/// What `apply(_:)` did; one case per mutation family.
public enum MutationOutcome: Hashable, Sendable {
    /// Result of `.upsert`.
    case upserted(UpsertOutcome)
    /// Result of `.deleteToken`.
    case tokenDeletion(TokenDeletion)
    /// Result of `.deleteInstallation`: the installation as it was, nil when unknown.
    case installationDeleted(Installation?)
    /// Result of attribute mutations: whether the user had or now has attributes.
    case attributesWritten(count: Int)
    /// Result of audience mutations: the audience after the change (nil once deleted or unknown).
    case audience(AudienceInfo?)
}

/// An audience's description.
public struct AudienceInfo: Hashable, Sendable {
    /// Its name.
    public var name: AudienceName
    /// What it lists.
    public var kind: AudienceKind
    /// How many distinct IDs it lists.
    public var count: Int
}

/// One line of the daily userbase export (custom ID; advertising ID; opt-in).
public struct UserbaseEntry: Hashable, Sendable {
    /// The installation.
    public var installationID: InstallationID
    /// Its platform (the export is split per platform).
    public var platform: Platform
    /// The user ID, if any.
    public var customID: CustomID?
    /// The advertising ID, if any.
    public var advertisingID: AdvertisingID?
    /// Whether it accepts notifications.
    public var pushOptIn: Bool
}
