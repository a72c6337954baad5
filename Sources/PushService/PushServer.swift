import Delivery
public import EventLog
import Foundation
import Gateways
public import Hummingbird
public import Logging
import Metrics
public import MockGateway
import PushCrypto
public import PushEngine
import PushModel
import ServiceLifecycle
import UnixSignals
import Synchronization

/// One app on one platform, as an API key selects it.
final class ServiceApp: Sendable {
    let name: String
    let platform: Platform
    let restKey: String
    let push: PushApp
    let export: ExportApp
    let limiter: RateLimiter

    init(name: String, platform: Platform, restKey: String, push: PushApp, export: ExportApp, limiter: RateLimiter) {
        self.name = name
        self.platform = platform
        self.restKey = restKey
        self.push = push
        self.export = export
        self.limiter = limiter
    }
}

/// The engine as a service: a `PushEngine` with the configured apps (each platform of an app is
/// an engine app of its own, selected by its API key), the event log under the data directory,
/// the embedded mock gateway when an app uses it, and the REST API on Hummingbird 2
/// (``application(onServerRunning:)``). ``run()`` runs it all until SIGTERM / SIGINT.
public final class PushServer: Sendable {
    /// What it runs.
    public let configuration: ServeConfiguration
    /// The engine.
    public let engine: PushEngine
    /// The event log (daily CSV files under `data_dir/events`, spooled under `data_dir/spool`).
    public let events: EventLogWriter
    /// The in-process mock gateway, when an app's origin is `embedded`.
    public let gateway: EmbeddedGateway?
    let apps: [String: ServiceApp]
    let metrics = ServiceMetrics()
    let logger: Logger
    private let accepting = Atomic<Bool>(true)

    /// Sets everything up (gateway connections start; the API does not listen yet).
    /// - Parameter recorder: records what the embedded gateway answered (tests).
    /// - Throws: ``ServeError`` naming the app and field at fault.
    public init(configuration: ServeConfiguration, logger: Logger, recorder: GatewayRecorder? = nil) throws(ServeError) {
        try configuration.check()
        self.configuration = configuration
        self.logger = logger
        let data = configuration.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            events = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: data + "/spool"),
                                        sink: LocalDirectorySink(directory: data + "/events"))
        } catch {
            throw .startup("data_dir '\(data)': \(error)")
        }
        if configuration.usesEmbeddedGateway {
            var scenario: Scenario?
            if let path = configuration.embeddedGateway.scenario {
                do { scenario = try Scenario(contentsOf: path) } catch { throw .configuration("embedded_gateway.scenario: \(error)") }
            }
            gateway = try EmbeddedGateway(directory: data + "/embedded-gateway", scenario: scenario, recorder: recorder)
        } else {
            gateway = nil
        }
        engine = PushEngine(threads: 1, logger: logger)
        var apps: [String: ServiceApp] = [:]
        let metrics = self.metrics
        do {
            for (i, app) in configuration.apps.enumerated() {
                let at = "apps[\(i)] (\(app.name))"
                if let ios = app.ios {
                    let apns = try Self.apnsConfiguration(ios.apns, gateway: gateway, at: at + ".ios.apns")
                    apps[ios.apiKey] = try Self.add(app, platform: .iOS, apiKey: ios.apiKey, apns: apns, fcm: nil, engine: engine,
                                                    events: events, metrics: metrics, at: at + ".ios")
                }
                if let android = app.android {
                    let fcm = try Self.fcmConfiguration(android.fcm, gateway: gateway, at: at + ".android.fcm")
                    apps[android.apiKey] = try Self.add(app, platform: .android, apiKey: android.apiKey, apns: nil, fcm: fcm,
                                                        engine: engine, events: events, metrics: metrics, at: at + ".android")
                }
            }
        } catch {
            let (engine, events, gateway) = (self.engine, self.events, self.gateway)
            Task {
                await engine.shutdown(timeout: .zero)
                try? events.shutdown()
                gateway?.shutdown()
            }
            throw error
        }
        self.apps = apps
    }

    private static func add(_ app: ServeConfiguration.App, platform: Platform, apiKey: String, apns: APNsConfiguration?,
                            fcm: FCMConfiguration?, engine: PushEngine, events: EventLogWriter, metrics: ServiceMetrics,
                            at: String) throws(ServeError) -> ServiceApp {
        let export: ExportApp
        do { export = try ExportApp(name: app.name, apiKey: apiKey) } catch {
            throw .configuration("\(at): the app name or API key cannot be part of a file name (no '/', '@', ';', '\"')")
        }
        let sink = CountingEventSink(inner: EventLogDeliverySink(writer: events, app: export), app: app.name,
                                     platform: platform, metrics: metrics)
        let push: PushApp
        do {
            push = try engine.addApp(AppConfiguration(name: app.name, apiKey: apiKey, apns: apns, fcm: fcm), events: sink)
        } catch {
            throw .startup("\(at): \(error)")
        }
        return ServiceApp(name: app.name, platform: platform, restKey: app.restKey, push: push, export: export,
                          limiter: RateLimiter(perSecond: app.requestsPerSecond))
    }

    private static func origin(_ o: ServeConfiguration.Origin, gateway: EmbeddedGateway?, production: GatewayOrigin,
                               sandbox: GatewayOrigin? = nil) -> GatewayOrigin {
        switch o.kind {
        case "embedded": return .custom(host: "127.0.0.1", port: gateway!.port, tls: true, caFile: gateway!.caFile)
        case "sandbox": return sandbox ?? production
        case "custom": return .custom(host: o.host!, port: o.port!, tls: !o.plaintext, caFile: o.caFile)
        default: return production
        }
    }

    private static func apnsConfiguration(_ c: ServeConfiguration.APNs, gateway: EmbeddedGateway?, at: String) throws(ServeError) -> APNsConfiguration {
        let authentication: APNsAuthentication
        if let p8 = c.p8File, let keyID = c.keyID, let teamID = c.teamID {
            do { authentication = .token(try APNsTokenCredentials(p8File: p8, keyID: keyID, teamID: teamID)) } catch {
                throw .configuration("\(at).p8_file: \(error)")
            }
        } else if let certificate = c.certificateFile, let key = c.privateKeyFile {
            authentication = .certificate(certificateFile: certificate, privateKeyFile: key)
        } else {
            do {
                authentication = .token(APNsTokenCredentials(key: try P256PrivateKey.generate(), keyID: "EMBEDDED01", teamID: "EMBEDDED01"))
            } catch {
                throw .startup("\(at): cannot generate a provider key: \(error)")
            }
        }
        return APNsConfiguration(origin: origin(c.origin, gateway: gateway, production: .apnsProduction, sandbox: .apnsSandbox),
                                 authentication: authentication, topic: c.topic)
    }

    private static func fcmConfiguration(_ c: ServeConfiguration.FCM, gateway: EmbeddedGateway?, at: String) throws(ServeError) -> FCMConfiguration {
        let origin = origin(c.origin, gateway: gateway, production: .custom(host: "fcm.googleapis.com", port: 443))
        if let file = c.serviceAccountFile {
            guard let bytes = FileManager.default.contents(atPath: file) else { throw .configuration("\(at).service_account_file: cannot be read") }
            do {
                return FCMConfiguration(origin: origin, serviceAccount: try FCMServiceAccount(json: Array(bytes)),
                                        tokenEndpointCAFile: c.origin.caFile)
            } catch {
                throw .configuration("\(at).service_account_file: \(error)")
            }
        }
        guard let gateway else { throw .configuration("\(at).service_account_file: is required unless the origin is embedded") }
        let key: RSAPrivateKey
        do { key = try RSAPrivateKey.generate() } catch { throw .startup("\(at): cannot generate a service-account key: \(error)") }
        let account = FCMServiceAccount(projectID: "pushengine-embedded", clientEmail: "serve@pushengine-embedded.iam.gserviceaccount.com",
                                        privateKey: key, tokenURI: "https://127.0.0.1:\(gateway.port)/token")
        return FCMConfiguration(origin: origin, serviceAccount: account, tokenEndpointCAFile: gateway.caFile)
    }

    /// The app and platform an API key selects.
    func app(apiKey: String) -> ServiceApp? { apps[apiKey] }

    /// Whether the service takes requests (false once shutdown began).
    var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    /// The REST API as a Hummingbird application listening on the configured address.
    public func application(port: Int? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<ServiceRequestContext>> {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: port ?? configuration.port),
                                                    serverName: "pushengine"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Runs the API and the engine in a `ServiceGroup` until SIGTERM or SIGINT: the API stops
    /// accepting first, then the engine finishes in-flight sends, then the event log is
    /// flushed and closed. A second signal cancels at once.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let api = application(onServerRunning: onServerRunning)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            // Shut down in reverse order: readiness off, then the API drains, then the engine.
            services: [
                .init(service: engine),
                .init(service: api),
                .init(service: ShutdownNotice(server: self)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger))
        do {
            try await group.run()
        } catch {
            await close()
            throw error
        }
        await close()
    }

    /// Stops everything (idempotent): engine (in-flight requests finish), event log (flushed), gateway.
    public func close() async {
        accepting.store(false, ordering: .relaxed)
        await engine.shutdown(timeout: .seconds(10), cancelSends: false)
        do { try events.shutdown() } catch { logger.error("event log shutdown failed", metadata: ["error": "\(error)"]) }
        gateway?.shutdown()
    }

    /// Marks the service not ready as soon as a graceful shutdown begins (readyz and the API
    /// answer 503), and makes a second SIGTERM / SIGINT exit at once.
    private struct ShutdownNotice: Service {
        let server: PushServer
        func run() async throws {
            try? await gracefulShutdown()
            server.accepting.store(false, ordering: .relaxed)
            let logger = server.logger
            Task.detached {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    logger.warning("second signal during shutdown: exiting now", metadata: ["signal": "\(signal)"])
                    exit(1)
                }
            }
        }
    }
}

/// Counts final outcomes for `/metrics`, then writes them to the event log.
struct CountingEventSink: DeliveryEventSink {
    let inner: EventLogDeliverySink
    let sent: Metrics.Counter
    let deleted: Metrics.Counter
    let failed: Metrics.Counter
    let retried: Metrics.Counter

    init(inner: EventLogDeliverySink, app: String, platform: Platform, metrics: ServiceMetrics) {
        self.inner = inner
        let p = platform.rawValue
        sent = metrics.notifications(app: app, platform: p, outcome: "sent")
        deleted = metrics.notifications(app: app, platform: p, outcome: "token_deleted")
        failed = metrics.notifications(app: app, platform: p, outcome: "push_error")
        retried = metrics.notifications(app: app, platform: p, outcome: "retried")
    }

    func record(_ events: [DeliveryEvent]) {
        var counts = (0, 0, 0, 0)
        for e in events {
            switch e.kind {
            case .sent: counts.0 += 1
            case .tokenDeleted: counts.1 += 1
            case .error: counts.2 += 1
            }
            if e.attempts > 1 { counts.3 += 1 }
        }
        if counts.0 > 0 { sent.increment(by: counts.0) }
        if counts.1 > 0 { deleted.increment(by: counts.1) }
        if counts.2 > 0 { failed.increment(by: counts.2) }
        if counts.3 > 0 { retried.increment(by: counts.3) }
        inner.record(events)
    }
}

