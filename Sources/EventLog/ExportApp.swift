/// Which identifier fills the second column of the push and in-app event files.
///
/// The reference's default is the installation ID; it allows "replacing Installation IDs
/// by Advertising IDs". The userbase file always carries the advertising ID, as its
/// reference format (`CUSTOM_USER_ID;ADVERTISING_ID;True`) says.
public enum IdentifierColumn: String, Sendable, Hashable, CaseIterable {
    /// `BATCH_INSTALLATION_ID` (default).
    case installationID = "installation-id"
    /// The advertising ID (IDFA / GAID).
    case advertisingID = "advertising-id"
}

/// An app as the export files name it: `APPNAME-…_API-KEY@…`, plus its identifier choice.
public struct ExportApp: Sendable, Hashable {
    /// The `APPNAME` part of file names.
    public let name: String
    /// The `API-KEY` part of file names.
    public let apiKey: String
    /// Installation ID (default) or advertising ID in the events files.
    public let identifierColumn: IdentifierColumn

    /// Validates the name and key as file-name components.
    ///
    /// Both must be 1...128 bytes, not `.` or `..`, and free of `/`, `@` (it separates the
    /// platform), control bytes and the bytes the field rule forbids (`;`, `"`, CR, LF).
    /// - Throws: ``EventLogError/invalidFileNameComponent(field:value:)``.
    public init(name: String, apiKey: String, identifierColumn: IdentifierColumn = .installationID) throws(EventLogError) {
        guard ExportApp.isValidComponent(name) else { throw .invalidFileNameComponent(field: "app name", value: name) }
        guard ExportApp.isValidComponent(apiKey) else { throw .invalidFileNameComponent(field: "API key", value: apiKey) }
        self.name = name
        self.apiKey = apiKey
        self.identifierColumn = identifierColumn
    }

    static func isValidComponent(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...128).contains(bytes.count), text != ".", text != ".." else { return false }
        return !bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "@") || LogField.isForbidden($0) }
    }
}
