public import PushModel

/// The three exported file kinds and their name markers.
public enum ExportKind: String, Sendable, Hashable, CaseIterable {
    /// Push raw events, no header: `APPNAME-events_…`.
    case pushEvents = "events"
    /// In-app raw events, with a header line: `APPNAME-InAppevents_…`.
    case inAppEvents = "InAppevents"
    /// The opt-in userbase snapshot, no header: `APPNAME-userbase_…`.
    case userbase = "userbase"

    /// The header line (with its LF) that starts the file, if the reference shows one.
    public var header: String? {
        switch self {
        case .inAppEvents: return "user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3\n"
        case .pushEvents, .userbase: return nil
        }
    }
}

/// The exact name of an exported file: `APPNAME-KIND_API-KEY@PLATFORM_YYYY-MM-DD.csv`.
public struct ExportFileName: Sendable, Hashable, CustomStringConvertible {
    /// The suffix of a day file still being written in the spool directory.
    public static let partialSuffix = ".partial"

    /// Whose file.
    public let app: ExportApp
    /// Which file.
    public let kind: ExportKind
    /// `@IOS` or `@ANDROID`.
    public let platform: Platform
    /// The UTC day of the events (or of the snapshot).
    public let day: UTCDay

    /// Names the file of `app`, `kind`, `platform` and `day`.
    public init(app: ExportApp, kind: ExportKind, platform: Platform, day: UTCDay) {
        self.app = app
        self.kind = kind
        self.platform = platform
        self.day = day
    }

    /// The published name, e.g. `MyApp-events_KEY@IOS_2017-07-24.csv`.
    public var description: String {
        "\(app.name)-\(kind.rawValue)_\(app.apiKey)@\(platform.fileSuffix)_\(day).csv"
    }

    /// The name of the partial file in the spool directory: the final name plus `.partial`.
    public var partialName: String { description + ExportFileName.partialSuffix }

    /// The day a partial file belongs to, read from the end of its name
    /// (`…_YYYY-MM-DD.csv.partial`); nil for any other name.
    static func day(ofPartialName name: String) -> UTCDay? {
        let tail = "_YYYY-MM-DD.csv.partial".utf8.count
        let bytes = Array(name.utf8)
        guard bytes.count > tail, name.hasSuffix(".csv" + partialSuffix), bytes[bytes.count - tail] == UInt8(ascii: "_") else { return nil }
        let dateBytes = bytes[(bytes.count - tail + 1)..<(bytes.count - tail + 11)]
        return try? UTCDay(parsing: String(decoding: dateBytes, as: UTF8.self))
    }
}
