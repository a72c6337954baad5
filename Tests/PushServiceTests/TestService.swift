import Delivery
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import MockGateway
import PushService
import Testing

/// A `PushServer` on a fresh data directory with the embedded mock gateway (recording what it
/// received, answering 410 Unregistered to tokens starting with `dead`), its REST API on a
/// loopback port chosen by the system; stopped and removed at the end.
struct TestService: Sendable {
    static let restKey = "TEST_REST_KEY"
    static let iosKey = "TEST_IOS_KEY"
    static let androidKey = "TEST_ANDROID_KEY"
    static let otherKey = "OTHER_IOS_KEY"
    static let otherRestKey = "OTHER_REST_KEY"
    static let limitedKey = "LIMITED_IOS_KEY"

    let server: PushServer
    let recorder: GatewayRecorder
    let directory: String

    static func configuration(directory: String) throws -> ServeConfiguration {
        let scenario = directory + "/scenario.json"
        try Data("""
        {"rules": [{"name": "uninstalled", "match": {"prefixes": ["dead"]}, "answer": "unregistered", "timestamp_ms": 4102444800000}]}
        """.utf8).write(to: URL(fileURLWithPath: scenario))
        return ServeConfiguration(
            host: "127.0.0.1", port: 0, dataDirectory: directory + "/data", maxBodyBytes: 64 * 1024,
            embeddedGateway: .init(scenario: scenario),
            apps: [
                .init(name: "Test", restKey: restKey,
                      ios: .init(apiKey: iosKey, apns: .init(origin: .embedded, topic: "com.example.test")),
                      android: .init(apiKey: androidKey, fcm: .init(origin: .embedded))),
                .init(name: "Other", restKey: otherRestKey, ios: .init(apiKey: otherKey, apns: .init(origin: .embedded, topic: "com.example.other")),
                      android: nil),
                .init(name: "Limited", restKey: restKey, requestsPerSecond: 1,
                      ios: .init(apiKey: limitedKey, apns: .init(origin: .embedded, topic: "com.example.limited")), android: nil),
            ])
    }

    static func withService<T: Sendable>(keepingFiles: Bool = false, _ body: @escaping @Sendable (TestService, any TestClientProtocol) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pushservice-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let recorder = GatewayRecorder()
        let server = try PushServer(configuration: configuration(directory: directory), logger: Logger(label: "test"), recorder: recorder)
        let service = TestService(server: server, recorder: recorder, directory: directory)
        do {
            let result = try await server.application(port: 0).test(.live) { client in try await body(service, client) }
            await server.close()
            if !keepingFiles { try? FileManager.default.removeItem(atPath: directory) }
            return result
        } catch {
            await server.close()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Tokens the gateway received, in order.
    func receivedTokens() -> [String] {
        recorder.lines().compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["token"] as? String
        }
    }

    /// Waits for a send to finish (every target has its final event).
    func finish(_ token: String, apiKey: String = iosKey) async throws -> DeliveryProgress {
        let run = try #require(try server.engine.app(apiKey: apiKey).send(try SendToken(token)))
        return try await run.finished()
    }

    /// Every event line written so far (spooled or published), after a flush.
    func eventLines(flush: Bool = true) throws -> [String] {
        if flush { try server.events.flush() }
        var lines: [String] = []
        let data = server.configuration.dataDirectory
        for sub in ["spool", "events"] {
            let dir = data + "/" + sub
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
                lines += text.split(separator: "\n").map(String.init)
            }
        }
        return lines
    }
}

extension TestClientProtocol {
    /// A JSON request with the REST key; returns the status and the decoded JSON body.
    func call(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, restKey: String? = TestService.restKey)
        async throws -> (status: Int, body: [String: Any]) {
        var headers = HTTPFields()
        if let restKey { headers[HTTPField.Name("X-Authorization")!] = restKey }
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object)
        }
    }
}

/// A 64-hex-digit APNs token made of one repeated byte (or a `dead…` one the gateway answers 410).
func apnsToken(_ byte: String) -> String { String(repeating: byte, count: 32) }
