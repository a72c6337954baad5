/// One app installation as the index holds it: identity, push address, targeting fields.
///
/// A value: the index stores it compactly and rebuilds it on lookups and scans.
public struct Installation: Hashable, Sendable {
    /// The SDK's installation identifier (the primary key).
    public var id: InstallationID
    /// iOS or Android; decides the gateway.
    public var platform: Platform
    /// The push token, if the installation has one (tokens leave on invalidation).
    public var token: DeviceToken?
    /// The app's user ID, shared by the user's devices.
    public var customID: CustomID?
    /// IDFA / GAID.
    public var advertisingID: AdvertisingID?
    /// Whether the user accepts notifications (iOS settings / Android custom opt-in).
    public var pushOptIn: Bool
    /// Device language.
    public var language: LanguageCode?
    /// Device region.
    public var region: RegionCode?
    /// Device time zone.
    public var timeZone: TimeZoneID?
    /// App version reported by the SDK.
    public var appVersion: AppVersion?
    /// First time the installation was seen (the index keeps whole seconds).
    public var createdAt: Timestamp
    /// Last time the installation was seen (the index keeps whole seconds).
    public var lastSeenAt: Timestamp
    /// When the current token was registered (milliseconds): an invalidation older than
    /// this does not delete the token (the device registered again since).
    public var tokenRegisteredAt: Timestamp

    /// Creates an installation. `tokenRegisteredAt` defaults to `lastSeenAt`. Inlinable: built
    /// in the caller's frame, the fields are moved in instead of copied through a call.
    @inlinable
    public init(
        id: InstallationID, platform: Platform, token: DeviceToken? = nil, customID: CustomID? = nil,
        advertisingID: AdvertisingID? = nil, pushOptIn: Bool = false, language: LanguageCode? = nil,
        region: RegionCode? = nil, timeZone: TimeZoneID? = nil, appVersion: AppVersion? = nil,
        createdAt: Timestamp, lastSeenAt: Timestamp, tokenRegisteredAt: Timestamp? = nil
    ) {
        self.id = id
        self.platform = platform
        self.token = token
        self.customID = customID
        self.advertisingID = advertisingID
        self.pushOptIn = pushOptIn
        self.language = language
        self.region = region
        self.timeZone = timeZone
        self.appVersion = appVersion
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.tokenRegisteredAt = tokenRegisteredAt ?? lastSeenAt
    }

    /// Checks what the field types cannot: the token was issued by this platform's gateway.
    public func validate() throws(ValidationError) {
        if let token, token.kind.platform != platform {
            throw ValidationError(
                field: "token",
                reason: .inconsistent("a \(token.kind == .apns ? "APNs" : "FCM") token on a \(platform.rawValue) installation"))
        }
    }
}
