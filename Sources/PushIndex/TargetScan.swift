public import PushModel
import Synchronization

/// What a send needs of an installation (no attributes, no times).
public struct TargetRecord: Hashable, Sendable {
    /// The installation.
    public var installationID: InstallationID
    /// Which gateway the token belongs to.
    public var platform: Platform
    /// The push token; installations without one are never yielded.
    public var token: DeviceToken
    /// The custom user ID, when the installation has one.
    public var customID: CustomID?
    /// The advertising ID (IDFA/GAID), when known.
    public var advertisingID: AdvertisingID?
    /// The installation's language, when known.
    public var language: LanguageCode?
    /// Whether the user allowed notifications.
    public var pushOptIn: Bool

    /// Creates a record.
    public init(installationID: InstallationID, platform: Platform, token: DeviceToken, customID: CustomID?,
                advertisingID: AdvertisingID?, language: LanguageCode?, pushOptIn: Bool) {
        self.installationID = installationID
        self.platform = platform
        self.token = token
        self.customID = customID
        self.advertisingID = advertisingID
        self.language = language
        self.pushOptIn = pushOptIn
    }
}

extension RowShard {
    /// The delivery view of a live row with a token (call under the shard's lock).
    /// The custom ID is left nil: the caller resolves it in one pass per batch.
    @inline(__always)
    func targetRecord(_ row: Row) -> TargetRecord {
        let android = row.has(Row.android)
        return TargetRecord(
            installationID: installationID(row),
            platform: android ? .android : .iOS,
            token: withToken(row) { DeviceToken(unchecked: android ? .fcm : .apns, raw: $0) },
            customID: nil,
            advertisingID: row.has(Row.hasAdvertisingID)
                ? AdvertisingID(unchecked: UUIDBytes(hi: row.advHi, lo: row.advLo),
                                letterCase: row.has(Row.upperCaseAdvertisingID) ? .upper : .lower)
                : nil,
            language: row.language == 0 ? nil : LanguageCode(packed: row.language),
            pushOptIn: row.has(Row.optIn))
    }
}

extension ShardedIndex {
    /// Like `scan(_:batchSize:parallelism:_:)`, but yields the delivery view (`TargetRecord`)
    /// of matching installations that have a token, and stops early: once `body` returns
    /// false, every thread stops before its next batch. Returns the number of records yielded.
    ///
    /// After a `false`, batches already being handed to `body` on other threads still arrive
    /// (at most one per other thread), so at most `(parallelism - 1) × batchSize` records are
    /// yielded beyond the batch that stopped the scan. No lock is held while `body` runs.
    /// Throws, before scanning, for the same segments `scan` rejects.
    @discardableResult
    public func scanTargets(_ segment: Segment, batchSize: Int = 1024, parallelism: Int = 2,
                            _ body: @Sendable ([TargetRecord]) -> Bool) throws(ValidationError) -> Int {
        try scanBatches(segment, batchSize: batchSize, parallelism: parallelism, requiringToken: true,
                        record: { row, s in s.targetRecord(row) },
                        setCustomID: { $0.customID = $1 }, body)
    }
}
