/// The mobile platform of an installation; it decides the gateway (APNs or FCM)
/// and the `@IOS` / `@ANDROID` suffix of every exported file name.
public enum Platform: String, Sendable, Hashable, CaseIterable, Codable {
    case iOS = "IOS"
    case android = "ANDROID"

    /// The suffix used in export file names (`APPNAME-events_KEY@IOS_…`).
    public var fileSuffix: String { rawValue }
}
