import Foundation
import HTTP2Transport
import PushCrypto
import PushJSON
import PushModel
import Testing
@testable import Gateways

@Suite struct FCMCodecTests {
    static let key: RSAPrivateKey = { try! RSAPrivateKey.generate() }()

    static func accountJSON(dropping field: String? = nil) throws -> [UInt8] {
        let pem = try key.pemRepresentation().replacingOccurrences(of: "\n", with: "\\n")
        var fields = [("type", "service_account"), ("project_id", "demo-project"), ("client_email", "sender@demo.iam.gserviceaccount.com"),
                      ("private_key", pem), ("token_uri", "https://127.0.0.1:1/token")]
        fields.removeAll { $0.0 == field }
        return Array(("{" + fields.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}").utf8)
    }

    @Test func serviceAccountIsParsed() throws {
        let account = try FCMServiceAccount(json: Self.accountJSON())
        #expect(account.projectID == "demo-project")
        #expect(account.clientEmail == "sender@demo.iam.gserviceaccount.com")
        #expect(account.tokenURI == "https://127.0.0.1:1/token")
    }

    @Test(arguments: ["project_id", "client_email", "private_key", "token_uri"])
    func aMissingFieldIsNamed(field: String) throws {
        #expect(throws: GatewayError.invalidCredentials(context: "service account: missing or empty \(field)")) {
            try FCMServiceAccount(json: Self.accountJSON(dropping: field))
        }
    }

    @Test func assertionIsAnRS256JWTWithTheGrantClaims() throws {
        let account = try FCMServiceAccount(json: Self.accountJSON())
        let jws = try JWSCompact(parsing: FCMCodec.assertion(for: account, issuedAt: 1_800_000_000))
        #expect(jws.verify(with: RS256Verifier(key: try Self.key.publicKey())))
        let claims = try JSONValue.parse(jws.claims)
        #expect(claims["iss"]?.stringValue == "sender@demo.iam.gserviceaccount.com")
        #expect(claims["aud"]?.stringValue == "https://127.0.0.1:1/token")
        #expect(claims["scope"]?.stringValue == FCMCodec.scope)
        #expect(claims["exp"]?.integerValue == 1_800_003_600)
    }

    @Test func tokenAnswersAreReadOrNamed() throws {
        let ok = try FCMCodec.accessToken(status: 200, body: Array(#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}"#.utf8))
        #expect(ok.token == "ya29.x" && ok.expiresIn == 3599)
        #expect(throws: GatewayError.tokenEndpoint(status: 400, detail: "invalid_grant: bad signature")) {
            try FCMCodec.accessToken(status: 400, body: Array(#"{"error":"invalid_grant","error_description":"bad signature"}"#.utf8))
        }
        #expect(throws: GatewayError.tokenEndpoint(status: 200, detail: "answer has no access_token / expires_in")) {
            try FCMCodec.accessToken(status: 200, body: Array("{}".utf8))
        }
    }

    @Test func bodyIsBuiltOnceAndTheTokenSplicedIn() throws {
        let message = PushMessage(title: "T", body: "B", sound: "default", deeplink: "app://d", mediaURL: "https://i",
                                  customPayload: [("k", .string("v")), ("n", .int(3))])
        let (prefix, suffix) = try FCMCodec.bodyParts(for: message, options: FCMOptions(priority: .high, timeToLive: 60, collapseKey: "c"))
        let body = String(decoding: prefix + Array("tok-1".utf8) + suffix, as: UTF8.self)
        #expect(body == #"{"message":{"token":"tok-1","notification":{"title":"T","body":"B","image":"https://i"},"data":{"deeplink":"app://d","k":"v","n":"3"},"android":{"priority":"HIGH","ttl":"60s","collapse_key":"c","notification":{"sound":"default"}}}}"#)
        #expect(throws: Never.self) { try JSONValue.parse(body) }
        let bare = try FCMCodec.bodyParts(for: PushMessage(), options: FCMOptions())
        #expect(String(decoding: bare.prefix + Array("t".utf8) + bare.suffix, as: UTF8.self) == #"{"message":{"token":"t"}}"#)
    }

    @Test func payloadOver4096BytesIsRefused() {
        #expect(throws: GatewayError.self) {
            try FCMCodec.bodyParts(for: PushMessage(body: String(repeating: "x", count: 4100)), options: FCMOptions())
        }
    }

    static func error(_ code: Int, _ status: String, _ errorCode: String?, message: String = "m") -> Result<HTTP2Response, HTTP2TransportError> {
        let details = errorCode.map { #","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"\#($0)"}]"# } ?? ""
        return .success(HTTP2Response(status: code, headers: [HTTP2HeaderField("retry-after", "2")],
                                      body: Array(#"{"error":{"code":\#(code),"message":"\#(message)","status":"\#(status)"\#(details)}}"#.utf8)))
    }

    @Test func errorsMapToOutcomes() {
        #expect(FCMCodec.outcome(of: .success(HTTP2Response(status: 200, body: Array(#"{"name":"projects/p/messages/1"}"#.utf8)))) == .accepted)
        #expect(FCMCodec.outcome(of: Self.error(404, "NOT_FOUND", "UNREGISTERED")) == .rejected(.fcmUnregistered, invalidatedAt: nil))
        #expect(FCMCodec.outcome(of: Self.error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                                                message: "The registration token is not a valid FCM registration token"))
                == .rejected(.fcmInvalidToken, invalidatedAt: nil))
        #expect(FCMCodec.outcome(of: Self.error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", message: "Invalid JSON payload"))
                == .rejected(.fcmInvalidArgument, invalidatedAt: nil))
        #expect(FCMCodec.outcome(of: Self.error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH")) == .rejected(.fcmSenderIDMismatch, invalidatedAt: nil))
        #expect(FCMCodec.outcome(of: Self.error(401, "UNAUTHENTICATED", nil)) == .rejected(.fcmUnauthenticated, invalidatedAt: nil))
        #expect(FCMCodec.outcome(of: Self.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"))
                == .failed(TransientFailure(reason: "QUOTA_EXCEEDED", retryAfter: .seconds(2), status: 429)))
        #expect(FCMCodec.outcome(of: Self.error(503, "UNAVAILABLE", "UNAVAILABLE"))
                == .failed(TransientFailure(reason: "UNAVAILABLE", retryAfter: .seconds(2), status: 503)))
    }
}

/// A fixed access token.
struct StaticAccessTokens: FCMAccessTokenProvider {
    func current() throws(GatewayError) -> (authorization: String, generation: UInt64) { ("Bearer t", 1) }
    func invalidate(generation: UInt64) {}
}

@Suite struct FCMSendTemplateTests {
    @Test func requestsCarryThePathHeadersAndAnEscapedToken() throws {
        let template = try FCMSendTemplate(message: PushMessage(body: "b"), projectID: "p1", tokens: StaticAccessTokens())
        let token = try DeviceToken(fcm: #"a"b\c"#)
        let (requests, generation) = try template.makeRequests([(token, 42, 0)], timeout: nil)
        #expect(generation == 1)
        #expect(requests.count == 1 && requests[0].tag == 42)
        #expect(requests[0].path == "/v1/projects/p1/messages:send")
        #expect(requests[0].headerBlock?.fields == [HTTP2HeaderField("content-type", "application/json"), HTTP2HeaderField("authorization", "Bearer t")])
        let body = try JSONValue.parse(requests[0].body)
        #expect(body["message"]?["token"]?.stringValue == #"a"b\c"#)
        #expect(body["message"]?["notification"]?["body"]?.stringValue == "b")
    }
}
