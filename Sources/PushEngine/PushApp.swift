public import Delivery
import Gateways
import HTTP2Transport
public import PushIndex
public import PushModel
import PushSync

/// What a send's observer sees: where it stands and how fast the gateway answered.
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

/// One configured app: its installations, custom data and audiences, its gateways and its
/// sends. Every change goes through ``apply(_:)``.
public final class PushApp: Sendable {
    /// The configuration it was added with.
    public let configuration: AppConfiguration
    let commands: CommandPath
    let dispatcher: Dispatcher
    let providerTokens: APNsProviderTokenCache?
    let accessTokens: FCMAccessTokenCache?
    private let sends: Locked<SendRegistry>

    init(configuration: AppConfiguration, commands: CommandPath, dispatcher: Dispatcher, providerTokens: APNsProviderTokenCache?,
         accessTokens: FCMAccessTokenCache?, retention: SendRetention) {
        self.configuration = configuration
        self.commands = commands
        self.dispatcher = dispatcher
        self.providerTokens = providerTokens
        self.accessTokens = accessTokens
        sends = Locked(SendRegistry(retention: retention))
    }

    /// The index itself, for benchmarks that time it; everything else reads through the
    /// methods below and writes through ``apply(_:)``.
    @_spi(Benchmark) public var index: ShardedIndex { commands.index }

    // MARK: Changes

    /// Applies one change: validates it, gives it the app's next sequence number, lets the
    /// hook (the journal) admit it, applies it, and returns once the hook says it is durable.
    /// - Throws: ``PushEngineError/validation(_:)`` naming the field (nothing changed), or
    ///   ``PushEngineError/refused(_:)`` when the hook refused or could not make it durable.
    @discardableResult
    public func apply(_ command: AppCommand) async throws(PushEngineError) -> CommandOutcome {
        try await commands.apply(command)
    }

    /// The sequence number of the last change applied (0 before the first).
    public var lastSequence: UInt64 { commands.lastSequence }

    /// Registers or updates an installation (`.installation(.upsert)`).
    @discardableResult
    public func register(_ installation: Installation) async throws(PushEngineError) -> UpsertOutcome {
        guard case .upserted(let o) = try await apply(.installation(.upsert(installation))) else { preconditionFailure() }
        return o
    }

    /// Registers or updates many installations at once (an import, a resynchronisation): the
    /// same outcomes as one ``register(_:)`` each, faster for large batches. Everything is
    /// validated first: a ``PushEngineError/validation(_:)`` names the position and field
    /// (`[3].token`), and then nothing changed.
    @discardableResult
    public func register(contentsOf installations: [Installation]) async throws(PushEngineError) -> [UpsertOutcome] {
        guard case .upsertedMany(let o) = try await apply(.installation(.upsertMany(installations))) else { preconditionFailure() }
        return o
    }

    // MARK: Reads

    /// Installations in the index.
    public var installationCount: Int { commands.index.count }

    /// An installation by ID.
    public func installation(_ id: InstallationID) -> Installation? { commands.index.installation(id) }

    /// The installation holding a push token.
    public func installation(forToken token: DeviceToken) -> Installation? { commands.index.installation(forToken: token) }

    /// Every installation of a user.
    public func installations(forCustomID customID: CustomID) -> [Installation] { commands.index.installations(forCustomID: customID) }

    /// A user's custom attributes.
    public func attributes(for customID: CustomID) -> [AttributeName: AttributeValue] { commands.index.attributes(for: customID) }

    /// An audience's description, nil when unknown.
    public func audience(_ name: AudienceName) -> AudienceInfo? { commands.index.audience(name) }

    /// Every audience.
    public func audiences() -> [AudienceInfo] { commands.index.audiences() }

    /// Installations matching a segment.
    /// - Throws: ``PushEngineError/validation(_:)`` for an unknown audience or a mistyped attribute.
    public func count(matching segment: Segment) throws(PushEngineError) -> Int {
        do { return try commands.index.count(matching: segment) } catch { throw .validation(error) }
    }

    /// Whether a gateway refused this app's credentials even after a reissue (they need attention).
    public var credentialsFlag: RejectionReason? {
        dispatcher.senders[.iOS]?.credentialsFlag ?? dispatcher.senders[.android]?.credentialsFlag
    }

    // MARK: Sends

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
    public func launchCampaign(token: SendToken? = nil, segment: Segment = .all, notification: PushNotification,
                               sendRatePerMinute: Int? = nil) throws(PushEngineError) -> SendRun {
        let templates = try templates(for: notification)
        let run: SendRun
        do {
            run = try dispatcher.launchCampaign(token ?? .random(), segment: segment, templates: templates,
                                                sendRatePerMinute: sendRatePerMinute)
        } catch {
            throw .validation(error)
        }
        track(run)
        return run
    }

    /// Sends a transactional notification to `recipients` (resolved through the index).
    /// - Parameter token: the send's token (events' `TOKEN` column); a random one when nil.
    /// - Throws: ``PushEngineError`` for no recipients or a bad message.
    public func sendTransactional(token: SendToken? = nil, groupID: GroupID, recipients: Recipients,
                                  notification: PushNotification) throws(PushEngineError) -> SendRun {
        let templates = try templates(for: notification)
        let run: SendRun
        do {
            run = try dispatcher.sendTransactional(token ?? .random(), groupID: groupID, recipients: recipients, templates: templates)
        } catch {
            throw .validation(error)
        }
        track(run)
        return run
    }

    private func track(_ run: SendRun) {
        let now = monotonicNanoseconds()
        sends.withLock { $0.insert(run, now: now) }
    }

    /// A send of this app (campaign or transactional) by token, while it runs and until it
    /// retires (``SendRetention``).
    public func send(_ token: SendToken) -> SendRun? {
        let now = monotonicNanoseconds()
        return sends.withLock { $0.lookup(token, now: now) }
    }

    /// Sends tracked now, running and finished-not-yet-retired (retires what is due first).
    public var trackedSendCount: Int {
        let now = monotonicNanoseconds()
        return sends.withLock { r in
            r.prune(now: now)
            return r.count
        }
    }

    /// A send's statistics while it runs and until it retires: progress counters and request
    /// latency percentiles (merged over platforms and event loops). Nil when the token is unknown.
    public func statistics(of token: SendToken) -> CampaignStatistics? {
        send(token).map { CampaignStatistics(progress: $0.progress, latency: $0.latencySummary()) }
    }

    /// Cancels a running send; returns false when the token is unknown.
    @discardableResult
    public func cancelSend(_ token: SendToken) -> Bool {
        guard let run = send(token) else { return false }
        run.cancel()
        return true
    }

    func cancelAll() {
        for run in sends.withLock({ $0.all }) { run.cancel() }
    }
}
