import Delivery
import EventLog
import Gateways
import Logging
import PushEngine
import PushModel

/// The README's embedding example, kept here so it keeps compiling (it is not run: it would
/// reach Apple's and Google's servers).
func embeddingExample(installation: Installation, serviceAccountBytes: [UInt8]) async throws {
    let engine = PushEngine(logger: Logger(label: "push"))          // one event loop per core
    let events = try EventLogWriter(configuration: EventLogConfiguration(spoolDirectory: "/var/lib/push/spool"),
                                    sink: LocalDirectorySink(directory: "/var/lib/push/out"))
    let app = try engine.addApp(
        AppConfiguration(
            name: "MyApp", apiKey: "KEY",
            apns: APNsConfiguration(
                origin: .apnsProduction,               // or .custom(host: "127.0.0.1", port: 2197, caFile: "ca.pem")
                authentication: .token(try APNsTokenCredentials(p8File: "AuthKey.p8", keyID: "ABC123DEFG", teamID: "TEAM123456")),
                topic: "com.example.app"),
            fcm: FCMConfiguration(serviceAccount: try FCMServiceAccount(json: serviceAccountBytes))),
        events: EventLogDeliverySink(writer: events, app: try ExportApp(name: "MyApp", apiKey: "KEY")))

    try await app.register(installation)                 // PushModel.Installation (its language picks the variant)
    let notification = PushNotification(
        message: PushMessage(title: "Hi", body: "Hello"),                        // the default
        variants: [try LanguageCode("fr"): PushMessage(title: "Salut", body: "Bonjour")])
    let run = try app.launchCampaign(token: try SendToken("SPRING"), segment: .all, notification: notification)
    print(run.progress)                                  // targeted / sent / failed / tokensDeleted / pending
    let done = try await run.finished()
    print(done)
    if let stats = app.statistics(of: try SendToken("SPRING")) {
        print(stats.latency.p50, stats.latency.p99)      // request latency percentiles (HdrHistogram)
    }
    let tx = try app.sendTransactional(groupID: GroupID("welcome"),
                                       recipients: Recipients(customIDs: [CustomID("user-42")]),
                                       notification: PushNotification(message: PushMessage(body: "Welcome!")))
    _ = try await tx.finished()
    await engine.shutdown()                              // in-flight requests finish; nothing is silently dropped
}
