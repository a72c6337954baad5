public import Delivery
public import EventLog
public import Gateways
public import HTTP2Transport
public import Logging
public import PushIndex
public import PushModel
import Synchronization

/// A failure of an engine call, naming what is wrong.
public enum PushEngineError: Error, Sendable, CustomStringConvertible {
    /// No app with this API key.
    case unknownApp(apiKey: String)
    /// An app with this API key already exists.
    case duplicateApp(apiKey: String)
    /// The message or options cannot be sent (payload too large, bad credentials, …).
    case gateway(GatewayError)
    /// Bad input (names the field).
    case validation(ValidationError)
    /// Connections could not be set up (TLS files, addresses).
    case transport(HTTP2TransportError)
    /// The event log cannot take events for this app.
    case eventLog(EventLogError)
    /// The engine was shut down.
    case shutDown

    /// One line.
    public var description: String {
        switch self {
        case .unknownApp(let key): return "no app with API key \(key)"
        case .duplicateApp(let key): return "an app with API key \(key) is already configured"
        case .gateway(let e): return e.description
        case .validation(let e): return e.description
        case .transport(let e): return e.description
        case .eventLog(let e): return "event log: \(e)"
        case .shutDown: return "the engine has been shut down"
        }
    }
}

/// A notification to send: what it says, and the APNs options that are not the app's.
public struct PushNotification: Sendable {
    /// The content: the default message, for installations whose language has no variant.
    public var message: PushMessage
    /// Per-language variants (title, body, …): an installation whose language is a key gets
    /// that message. Each variant's payload is encoded once per send, not per token.
    public var variants: [LanguageCode: PushMessage]
    /// Send an `apns-id` with every APNs request (``APNsSendTemplate/apnsID(for:)``); off by default.
    public var sendsAPNsID: Bool
    /// `apns-push-type`.
    public var pushType: APNsPushType
    /// `apns-priority` (10, 5 or 1); nil: APNs' default.
    public var priority: Int?
    /// `apns-expiration`, seconds since 1970; nil: not sent.
    public var expiration: Int64?
    /// `apns-collapse-id`.
    public var collapseID: String?
    /// Android options (priority, time to live, collapse key).
    public var fcm: FCMOptions

    /// Creates a notification.
    public init(message: PushMessage, variants: [LanguageCode: PushMessage] = [:], pushType: APNsPushType = .alert,
                priority: Int? = nil, expiration: Int64? = nil, collapseID: String? = nil, sendsAPNsID: Bool = false,
                fcm: FCMOptions = FCMOptions()) {
        self.message = message
        self.variants = variants
        self.sendsAPNsID = sendsAPNsID
        self.fcm = fcm
        self.pushType = pushType
        self.priority = priority
        self.expiration = expiration
        self.collapseID = collapseID
    }
}

/// What a campaign's observer sees: where it stands and how fast the gateway answered.
public struct CampaignStatistics: Hashable, Sendable {
    /// Targeted, sent, failed, tokens deleted, skipped, pending.
    public var progress: DeliveryProgress
    /// Request latency percentiles of final attempts (see ``LatencySummary``).
    public var latency: LatencySummary

    /// Creates statistics.
    public init(progress: DeliveryProgress, latency: LatencySummary) {
        self.progress = progress
        self.latency = latency
    }
}

/// One configured app: its index of installations, its gateway senders and its running sends.
public final class PushApp: Sendable {
    /// The configuration it was added with.
    public let configuration: AppConfiguration
    /// Its installations.
    public let index: ShardedIndex
    /// Its dispatcher.
    public let dispatcher: Dispatcher
    /// The APNs provider-token cache (token authentication), shared by every APNs send of the app.
    public let providerTokens: APNsProviderTokenCache?
    /// The FCM access-token cache, shared by every FCM send of the app.
    public let accessTokens: FCMAccessTokenCache?
    private let campaigns = Mutex<[SendToken: SendRun]>([:])

    init(configuration: AppConfiguration, index: ShardedIndex, dispatcher: Dispatcher, providerTokens: APNsProviderTokenCache?,
         accessTokens: FCMAccessTokenCache?) {
        self.configuration = configuration
        self.index = index
        self.dispatcher = dispatcher
        self.providerTokens = providerTokens
        self.accessTokens = accessTokens
    }

    /// Registers or updates an installation.
    /// - Throws: `ValidationError` naming the field.
    @discardableResult
    public func register(_ installation: Installation) throws(ValidationError) -> UpsertOutcome {
        try index.upsert(installation)
    }

    /// Registers or updates many installations at once (a resynchronisation, an import): the
    /// same outcomes as one ``register(_:)`` each, faster for large batches (see
    /// `ShardedIndex.upsert(contentsOf:)`). Everything is validated first.
    /// - Throws: `ValidationError` naming the position and field (`[3].token`); then nothing changed.
    @discardableResult
    public func register(contentsOf installations: [Installation]) throws(ValidationError) -> [UpsertOutcome] {
        try index.upsert(contentsOf: installations)
    }

    /// Whether a gateway refused this app's credentials even after a reissue (they need attention).
    public var credentialsFlag: RejectionReason? {
        dispatcher.senders[.iOS]?.credentialsFlag ?? dispatcher.senders[.android]?.credentialsFlag
    }

    func templates(for notification: PushNotification) throws(PushEngineError) -> [Platform: any GatewaySendTemplate] {
        var templates: [Platform: any GatewaySendTemplate] = [:]
        if let apns = configuration.apns {
            var topic = apns.topic
            if notification.pushType == .voip { topic += ".voip" }
            if notification.pushType == .liveActivity { topic += ".push-type.liveactivity" }
            let options = APNsOptions(topic: topic, pushType: notification.pushType, priority: notification.priority,
                                      expiration: notification.expiration, collapseID: notification.collapseID,
                                      sendsAPNsID: notification.sendsAPNsID)
            do {
                templates[.iOS] = try APNsSendTemplate(message: notification.message, variants: notification.variants,
                                                       options: options, tokens: providerTokens)
            } catch {
                throw .gateway(error)
            }
        }
        if let fcm = configuration.fcm, let accessTokens {
            do {
                templates[.android] = try FCMSendTemplate(message: notification.message, variants: notification.variants,
                                                          options: notification.fcm,
                                                          projectID: fcm.serviceAccount.projectID, tokens: accessTokens)
            } catch {
                throw .gateway(error)
            }
        }
        return templates
    }

    /// Launches a campaign to every opted-in installation with a token in `segment`.
    /// The payload is built and checked (size, fields) before anything is sent.
    /// - Parameters:
    ///   - token: the campaign token (events' `TOKEN` column); a random one when nil.
    ///   - sendRatePerMinute: the reference platform's `send_rate`; nil: as fast as the gateway allows.
    /// - Throws: ``PushEngineError`` for a bad message, segment or credentials.
    public func launchCampaign(_ token: SendToken? = nil, segment: Segment = .all, notification: PushNotification,
                               sendRatePerMinute: Int? = nil) throws(PushEngineError) -> SendRun {
        let templates = try templates(for: notification)
        let run: SendRun
        do {
            run = try dispatcher.launchCampaign(token ?? .random(), segment: segment, templates: templates,
                                                sendRatePerMinute: sendRatePerMinute)
        } catch {
            throw .validation(error)
        }
        campaigns.withLock { $0[run.source.token] = run }
        return run
    }

    /// A campaign launched on this app, by token.
    public func campaign(_ token: SendToken) -> SendRun? { campaigns.withLock { $0[token] } }

    /// A campaign's statistics while it runs and after: progress counters and request latency
    /// percentiles (merged over platforms and event loops). Nil when the token is unknown.
    public func statistics(ofCampaign token: SendToken) -> CampaignStatistics? {
        campaign(token).map { CampaignStatistics(progress: $0.progress, latency: $0.latencySummary()) }
    }

    /// Cancels a running campaign; returns false when the token is unknown.
    @discardableResult
    public func cancelCampaign(_ token: SendToken) -> Bool {
        guard let run = campaign(token) else { return false }
        run.cancel()
        return true
    }

    /// Sends a transactional notification to `recipients` (resolved through the index).
    /// - Throws: ``PushEngineError`` for no recipients or a bad message.
    public func sendTransactional(groupID: GroupID, recipients: Recipients, notification: PushNotification,
                                  token: SendToken? = nil) throws(PushEngineError) -> SendRun {
        let templates = try templates(for: notification)
        do {
            return try dispatcher.sendTransactional(token ?? .random(), groupID: groupID, recipients: recipients, templates: templates)
        } catch {
            throw .validation(error)
        }
    }
}

/// The embeddable push engine: apps, their installations, campaigns and transactional sends
/// over HTTP/2 to APNs (or any APNs-compatible gateway), with every final outcome written to
/// an event sink (the daily CSV event log, or your own).
///
/// ```swift
/// let engine = PushEngine(logger: Logger(label: "push"))
/// let app = try engine.addApp(AppConfiguration(
///     name: "MyApp", apiKey: "KEY",
///     apns: APNsConfiguration(
///         origin: .apnsProduction,
///         authentication: .token(try APNsTokenCredentials(p8File: "AuthKey.p8", keyID: "ABC123DEFG", teamID: "TEAM123456")),
///         topic: "com.example.app")),
///     events: CollectingEventSink())
/// try app.register(installation)
/// let run = try app.launchCampaign(notification: PushNotification(message: PushMessage(title: "Hi", body: "Hello")))
/// let progress = await run.finished()   // targeted / sent / failed / tokensDeleted
/// engine.shutdown()
/// ```
public final class PushEngine: Sendable {
    /// The event loops every app's connections run on.
    public let group: EventLoopGroup
    private let logger: Logger
    private let clock: WallClock
    private let apps = Mutex<[String: PushApp]>([:])
    private let stopped = Atomic<Bool>(false)

    /// Starts the engine's event loops (one per core by default).
    /// - Parameters:
    ///   - clock: wall clock for provider-token ages and event times (tests inject one).
    public init(threads: Int = EventLoopGroup.coreCount, clock: WallClock = .system, logger: Logger) {
        group = EventLoopGroup(threads: threads)
        self.clock = clock
        self.logger = logger
    }

    /// Adds an app and connects to its gateways.
    /// - Parameter events: where the app's final events go, e.g. ``EventLogDeliverySink``.
    /// - Throws: ``PushEngineError`` for a duplicate API key or unusable TLS settings.
    public func addApp(_ configuration: AppConfiguration, events: any DeliveryEventSink) throws(PushEngineError) -> PushApp {
        guard !stopped.load(ordering: .relaxed) else { throw .shutDown }
        if apps.withLock({ $0[configuration.apiKey] }) != nil { throw .duplicateApp(apiKey: configuration.apiKey) }
        let index = ShardedIndex(configuration: ShardedIndex.Configuration(expectedInstallations: configuration.expectedInstallations))
        var senders: [Platform: GatewaySender] = [:]
        var tokens: APNsProviderTokenCache?
        if let apns = configuration.apns {
            if case .token(let credentials) = apns.authentication {
                tokens = APNsProviderTokenCache(credentials: credentials, clock: clock)
            }
            do {
                senders[.iOS] = try GatewaySender(
                    configuration: GatewaySenderConfiguration(pool: apns.poolConfiguration(), retry: apns.retry),
                    group: group, clock: clock, logger: logger)
            } catch {
                throw .transport(error)
            }
        }
        var accessTokens: FCMAccessTokenCache?
        if let fcm = configuration.fcm {
            do {
                accessTokens = try FCMAccessTokenCache(account: fcm.serviceAccount, tls: TLSClientConfiguration(caFile: fcm.tokenEndpointCAFile),
                                                       clock: clock)
            } catch {
                for s in senders.values { s.shutdown(timeout: .zero) }
                throw .gateway(error)
            }
            do {
                senders[.android] = try GatewaySender(
                    configuration: GatewaySenderConfiguration(pool: fcm.poolConfiguration(), retry: fcm.retry),
                    group: group, clock: clock, logger: logger)
            } catch {
                for s in senders.values { s.shutdown(timeout: .zero) }
                throw .transport(error)
            }
        }
        let app = PushApp(configuration: configuration, index: index,
                          dispatcher: Dispatcher(index: index, senders: senders, sink: events), providerTokens: tokens,
                          accessTokens: accessTokens)
        let added = apps.withLock { a -> Bool in
            if a[configuration.apiKey] != nil { return false }
            a[configuration.apiKey] = app
            return true
        }
        guard added else {
            for s in senders.values { s.shutdown(timeout: .zero) }
            throw .duplicateApp(apiKey: configuration.apiKey)
        }
        return app
    }

    /// The app with this API key.
    /// - Throws: ``PushEngineError/unknownApp(apiKey:)``.
    public func app(apiKey: String) throws(PushEngineError) -> PushApp {
        guard let app = apps.withLock({ $0[apiKey] }) else { throw .unknownApp(apiKey: apiKey) }
        return app
    }

    /// Stops gracefully: in-flight requests finish (or end as `push_error` once `timeout` has
    /// passed and the connections close), retries still waiting end as `push_error`, then the
    /// event loops stop. Running campaigns are cancelled when `cancelCampaigns` is true; otherwise
    /// their targeting continues until `timeout`.
    public func shutdown(timeout: Duration = .seconds(30), cancelCampaigns: Bool = true) {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let all = apps.withLock { Array($0.values) }
        if cancelCampaigns {
            for app in all { app.cancelAll() }
        }
        for app in all {
            for sender in app.dispatcher.senders.values { sender.shutdown(timeout: timeout) }
        }
        group.shutdown()
    }
}

extension PushApp {
    func cancelAll() {
        for run in campaignsSnapshot() { run.cancel() }
    }

    func campaignsSnapshot() -> [SendRun] { campaigns.withLock { Array($0.values) } }
}
