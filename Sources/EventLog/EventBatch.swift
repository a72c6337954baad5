public import PushModel

/// Events of one app on one platform, handed to the writer in one go.
///
/// Producers (delivery workers, API handlers) collect records and append them as a batch:
/// one lock per batch, never one per event. The records may span days and both push and
/// in-app kinds; the writer routes each line by its own time and kind.
public struct EventBatch: Sendable {
    /// Whose files the lines go to.
    public var app: ExportApp
    /// `@IOS` or `@ANDROID` files.
    public var platform: Platform
    /// The events, in any order.
    public var records: [EventRecord]

    /// Creates a batch.
    public init(app: ExportApp, platform: Platform, records: [EventRecord]) {
        self.app = app
        self.platform = platform
        self.records = records
    }
}
