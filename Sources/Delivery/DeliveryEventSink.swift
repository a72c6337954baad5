import PushSync
public import EventLog
public import PushModel
public import PushIndex
import Synchronization

/// Receives final events in batches, on gateway event-loop threads. Must not block for long
/// (a blocking sink slows delivery, which is the intended back-pressure, never a loss).
public protocol DeliveryEventSink: Sendable {
    /// Records final events.
    func record(_ events: [DeliveryEvent])
}

/// Where invalidated tokens go: the index, honouring Apple's timestamp rule.
public protocol DeliveryFeedback: Sendable {
    /// Removes `token` from `installation` if it still holds it and did not register it at or
    /// after `invalidatedAt`. Returns true when the token was removed.
    func tokenInvalidated(_ token: DeviceToken, of installation: InstallationID, at invalidatedAt: Timestamp) -> Bool
}

extension ShardedIndex: DeliveryFeedback {
    /// ``ShardedIndex/deleteToken(_:of:invalidatedAt:)``; true on `.deleted`.
    public func tokenInvalidated(_ token: DeviceToken, of installation: InstallationID, at invalidatedAt: Timestamp) -> Bool {
        deleteToken(token, of: installation, invalidatedAt: invalidatedAt) == .deleted
    }
}

/// Writes final events to the event log: `push_sent` / `push_error` lines with the send's
/// source, `token_deleted` subscription lines.
public struct EventLogDeliverySink: DeliveryEventSink {
    /// The writer.
    public let writer: EventLogWriter
    /// The app the files belong to.
    public let app: ExportApp
    private let failures = FailureCounter()

    /// Creates a sink for one app.
    public init(writer: EventLogWriter, app: ExportApp) {
        self.writer = writer
        self.app = app
    }

    /// Events the log refused (disk full, shut down); the log's status says why.
    public var refusedEvents: Int { failures.count }

    /// Appends the events as one batch per platform (blocks while the log's queue is full).
    public func record(_ events: [DeliveryEvent]) {
        guard let platform = events.first?.platform else { return }
        var records: [EventRecord] = []
        records.reserveCapacity(events.count)
        var others: [Platform: [EventRecord]] = [:]
        // Events of one batch nearly always share their send and their time: convert them once
        // (kept in plain variables: copying an optional tuple per event costs a runtime call).
        var knownSource: DeliverySource? = nil
        var convertedSource = EventRecord.PushSource.campaign(token: .empty)
        var knownTime = Timestamp(millisecondsSince1970: .min)
        var convertedTime: EventTime? = nil
        for e in events {
            if e.time != knownTime || convertedTime == nil {
                guard let converted = try? EventTime(secondsSinceEpoch: e.time.secondsSince1970) else {
                    failures.add(1)
                    continue
                }
                knownTime = e.time
                convertedTime = converted
            }
            if knownSource != e.source {
                guard let converted = Self.pushSource(e.source) else {
                    failures.add(1)
                    continue
                }
                knownSource = e.source
                convertedSource = converted
            }
            let (time, source) = (convertedTime!, convertedSource)
            guard let record = Self.record(for: e, source: source, time: time) else {
                failures.add(1)
                continue
            }
            if e.platform == platform { records.append(record) } else { others[e.platform, default: []].append(record) }
        }
        others[platform] = records
        for (platform, records) in others where !records.isEmpty {
            do {
                try writer.append(EventBatch(app: app, platform: platform, records: records))
            } catch {
                failures.add(records.count)
            }
        }
    }

    /// The `SOURCE;TOKEN;GROUP_ID` columns; nil when a field breaks the log's field rule.
    static func pushSource(_ source: DeliverySource) -> EventRecord.PushSource? {
        do {
            switch source {
            case .campaign(let token):
                return .campaign(token: try LogField(token.value, field: "campaign_token"))
            case .transactional(let token, let group):
                return .transactional(token: try LogField(token.value, field: "token"), groupID: try LogField(group.value, field: "group_id"))
            }
        } catch {
            return nil
        }
    }

    /// The log line for an event; nil when a field breaks the log's field rule.
    static func record(for event: DeliveryEvent, source: EventRecord.PushSource? = nil, time: EventTime? = nil) -> EventRecord? {
        do {
            let time = try time ?? EventTime(secondsSinceEpoch: event.time.secondsSince1970)
            let installationID: LogField
            if case .uuid(let uuid, let letterCase) = event.target.installationID.storage {
                installationID = LogField(uuid: uuid, letterCase: letterCase)
            } else {
                installationID = try LogField(event.target.installationID.description, field: "installation_id")
            }
            let user = EventUser(
                customID: try event.target.customID.map { try LogField($0.value, field: "custom_id") } ?? .empty,
                installationID: installationID,
                advertisingID: event.target.advertisingID.map { LogField(uuid: $0.uuid, letterCase: $0.letterCase) } ?? .empty)
            switch event.kind {
            case .sent, .error:
                guard let source = source ?? pushSource(event.source) else { return nil }
                return .push(event.kind == .sent ? .sent : .error, at: time, user: user, source: source)
            case .tokenDeleted:
                return .subscription(.tokenDeleted, at: time, user: user)
            }
        } catch {
            return nil
        }
    }
}

/// Counts with an atomic.
final class FailureCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int) { value.add(n, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Keeps every event in memory (tests, small embeddings).
public final class CollectingEventSink: DeliveryEventSink {
    private let events = Locked<[DeliveryEvent]>([])

    /// Creates an empty sink.
    public init() {}

    /// Appends.
    public func record(_ events: [DeliveryEvent]) {
        self.events.withLock { $0.append(contentsOf: events) }
    }

    /// Everything recorded so far.
    public var recorded: [DeliveryEvent] { events.withLock { $0 } }
}
