public import Delivery
public import Gateways
public import HTTP2Transport
public import Logging
import PushIndex
public import PushModel
import PushSync
public import ServiceLifecycle
import Synchronization

/// A failure of an engine call, naming what is wrong. Descriptions never contain an API key,
/// a REST key or a credential.
public enum PushEngineError: Error, Sendable, CustomStringConvertible {
    /// No app with the given API key.
    case unknownApp
    /// An app with this API key already exists (the app's name is given).
    case duplicateApp(name: String)
    /// The message or options cannot be sent (payload too large, bad credentials, …).
    case gateway(GatewayError)
    /// Bad input (names the field).
    case validation(ValidationError)
    /// Connections could not be set up (TLS files, addresses).
    case transport(HTTP2TransportError)
    /// The command hook (the journal) refused the change or could not make it durable.
    case refused(CommandRefusal)
    /// The engine was shut down.
    case shutDown

    /// One line.
    public var description: String {
        switch self {
        case .unknownApp: return "no app with this API key"
        case .duplicateApp(let name): return "an app with the same API key as '\(name)' is already configured"
        case .gateway(let e): return e.description
        case .validation(let e): return e.description
        case .transport(let e): return e.description
        case .refused(let r): return "change refused: \(r.reason)"
        case .shutDown: return "the engine has been shut down"
        }
    }
}

/// The embeddable push engine: apps, their installations, campaigns and transactional sends
/// over HTTP/2 to APNs (or any APNs-compatible gateway) and FCM, with every final outcome
/// written to an event sink (the daily CSV event log, or your own).
///
/// A swift-service-lifecycle `Service`: run it in a `ServiceGroup` (it stops gracefully on
/// SIGTERM or cancellation), or call ``shutdown(timeout:cancelSends:)`` yourself. Creating
/// one starts nothing; the event loops start with the first app, send workers with the first send.
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
/// try await app.register(installation)
/// let run = try app.launchCampaign(notification: PushNotification(message: PushMessage(title: "Hi", body: "Hello")))
/// let progress = try await run.finished()   // targeted / sent / failed / tokensDeleted
/// await engine.shutdown()
/// ```
public final class PushEngine: Service, Sendable {
    private let threads: Int
    private let logger: Logger
    private let clock: PushClock
    private let retention: SendRetention
    private let workers: SendWorkers
    private let loops = Locked<EventLoopGroup?>(nil)
    private let apps = Locked<[String: PushApp]>([:])
    private let stopped = Atomic<Bool>(false)

    /// Creates an engine; nothing starts until the first app is added.
    /// - Parameters:
    ///   - threads: event-loop threads for gateway connections (one per core by default).
    ///   - workers: the threads that run sends' targeting, shared by every app.
    ///   - retention: how long finished sends stay queryable.
    ///   - clock: wall clock for provider-token ages and event times (tests inject one).
    public init(threads: Int = EventLoopGroup.coreCount, workers: SendWorkers = SendWorkers(),
                retention: SendRetention = SendRetention(), clock: PushClock = .system, logger: Logger) {
        self.threads = max(1, threads)
        self.workers = workers
        self.retention = retention
        self.clock = clock
        self.logger = logger
    }

    private var group: EventLoopGroup {
        loops.withLock { g in
            if let g { return g }
            let made = EventLoopGroup(threads: threads)
            g = made
            return made
        }
    }

    /// Event-loop threads running now (0 before the first app).
    public var runningLoopThreads: Int { loops.withLock { $0?.loops.count ?? 0 } }

    /// Adds an app and connects to its gateways.
    /// - Parameters:
    ///   - events: where the app's final events go, e.g. ``EventLogDeliverySink``.
    ///   - hook: sees every change before it is applied and may refuse it (the journal).
    /// - Throws: ``PushEngineError`` for a duplicate API key or unusable TLS settings.
    public func addApp(_ configuration: AppConfiguration, events: any DeliveryEventSink,
                       hook: (any CommandHook)? = nil) throws(PushEngineError) -> PushApp {
        guard !stopped.load(ordering: .relaxed) else { throw .shutDown }
        if apps.withLock({ $0[configuration.apiKey] }) != nil { throw .duplicateApp(name: configuration.name) }
        let group = self.group
        let index = ShardedIndex(configuration: ShardedIndex.Configuration(expectedInstallations: configuration.expectedInstallations))
        var senders: [Platform: GatewaySender] = [:]
        func abandon() { for s in senders.values { _ = s.shutdown(timeout: .zero) } }
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
                abandon()
                throw .gateway(error)
            }
            do {
                senders[.android] = try GatewaySender(
                    configuration: GatewaySenderConfiguration(pool: fcm.poolConfiguration(), retry: fcm.retry),
                    group: group, clock: clock, logger: logger)
            } catch {
                abandon()
                throw .transport(error)
            }
        }
        let commands = CommandPath(app: configuration.name, index: index, hook: hook)
        let dispatcher = Dispatcher(index: index, senders: senders, sink: events, workers: workers, feedback: commands)
        let app = PushApp(configuration: configuration, commands: commands, dispatcher: dispatcher, providerTokens: tokens,
                          accessTokens: accessTokens, retention: retention)
        let added = apps.withLock { a -> Bool in
            if a[configuration.apiKey] != nil { return false }
            a[configuration.apiKey] = app
            return true
        }
        guard added else {
            abandon()
            throw .duplicateApp(name: configuration.name)
        }
        return app
    }

    /// The app with this API key.
    /// - Throws: ``PushEngineError/unknownApp``.
    public func app(apiKey: String) throws(PushEngineError) -> PushApp {
        guard let app = apps.withLock({ $0[apiKey] }) else { throw .unknownApp }
        return app
    }

    /// Runs until graceful shutdown (a `ServiceGroup`'s signal) or cancellation, then shuts
    /// down: see ``shutdown(timeout:cancelSends:)``.
    public func run() async throws {
        _ = group
        try? await gracefulShutdown()  // returns on graceful shutdown, throws on cancellation: both end the run
        await shutdown()
    }

    /// Stops gracefully: in-flight requests finish (or end as `push_error` once `timeout` has
    /// passed and the connections close), retries still waiting end as `push_error`, then the
    /// workers and event loops stop. Running sends are cancelled when `cancelSends` is true;
    /// otherwise their targeting continues until `timeout`. Waits without blocking a task's thread.
    public func shutdown(timeout: Duration = .seconds(30), cancelSends: Bool = true) async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let all = apps.withLock { Array($0.values) }
        if cancelSends {
            for app in all { app.cancelAll() }
        }
        let (workers, group) = (self.workers, loops.withLock { $0 })
        // Sender shutdown and thread joins block: they run on a thread of their own while
        // this task waits for them.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            PushThread.detach {
                for app in all {
                    for sender in app.dispatcher.senders.values { _ = sender.shutdown(timeout: timeout) }
                }
                workers.shutdown()
                group?.shutdown()
                done.resume()
            }
        }
    }
}
