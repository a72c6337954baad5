import Foundation
import HTTP2Transport
import PushCrypto
import PushJSON
import PushModel
import PushSync
@testable import MockGateway

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let now: Locked<Int64>

    init(milliseconds: Int64 = 1_800_000_000_000) {
        now = Locked(milliseconds)
    }

    var milliseconds: Int64 { now.withLock { $0 } }

    func advance(seconds: Int64) {
        now.withLock { $0 += seconds * 1000 }
    }

    var clock: PushClock {
        PushClock { [self] in milliseconds }
    }
}

/// Keys and tokens shared by the tests.
enum Fixtures {
    static let keyID = "ABC123DEFG"
    static let teamID = "TEAM123456"
    static let token = String(repeating: "ab", count: 32)
    static let topic = "com.example.app"
    static let payload = Array(#"{"aps":{"alert":"hello"}}"#.utf8)

    static let signingKey: P256PrivateKey = {
        do { return try P256PrivateKey.generate() } catch { fatalError("P-256 key generation failed: \(error)") }
    }()

    static func verificationKey() throws -> ProviderVerificationKey {
        ProviderVerificationKey(keyID: keyID, teamID: teamID, publicKey: try signingKey.publicKey())
    }

    /// A provider token signed by `key` (default: the trusted key).
    static func providerToken(
        issuedAt seconds: Int64, keyID: String = keyID, teamID: String = teamID,
        key: P256PrivateKey = signingKey, alg: String = "ES256"
    ) throws -> String {
        let header = Array(#"{"alg":"\#(alg)","kid":"\#(keyID)"}"#.utf8)
        let claims = Array(#"{"iss":"\#(teamID)","iat":\#(seconds)}"#.utf8)
        return try JWSCompact.sign(header: header, claims: claims, signer: ES256Signer(key: key)).compact
    }

    /// An APNs request with sensible defaults; `headers` replace or extend them.
    static func apnsRequest(
        method: String = "POST", path: String? = nil, headers: [HTTP2HeaderField]? = nil,
        extraHeaders: [HTTP2HeaderField] = [], body: [UInt8] = payload, connectionID: UInt64 = 1
    ) -> HTTP2ServerRequest {
        HTTP2ServerRequest(
            method: method, path: path ?? "/3/device/\(token)", authority: "127.0.0.1", scheme: "https",
            headers: (headers ?? [HTTP2HeaderField("apns-topic", topic), HTTP2HeaderField("apns-push-type", "alert")]) + extraHeaders,
            body: body, connectionID: connectionID
        )
    }

    /// A gateway that does not check provider tokens.
    static func noAuthGateway(
        scenario: Scenario? = nil, allowedTopics: Set<String>? = nil, recorder: GatewayRecorder? = nil,
        clock: PushClock = .system
    ) -> MockGateway {
        MockGateway(configuration: MockGatewayConfiguration(
            requiresAuthentication: false, allowedTopics: allowedTopics, scenario: scenario, clock: clock, recorder: recorder
        ))
    }
}

extension HTTP2ServerResponse {
    /// The body as a JSON value.
    var json: JSONValue? { try? JSONValue.parse(body) }
    /// The APNs `reason`.
    var reason: String? { json?["reason"]?.stringValue }
    /// The first value of a header.
    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}
