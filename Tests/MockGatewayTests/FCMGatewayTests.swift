import HTTP2Transport
import PushCrypto
import Testing
@testable import MockGateway

@Suite("MockGateway (FCM v1 and OAuth2)")
struct FCMGatewayTests {
    static let registrationToken = "fcm-token_abc:APA91bH" + String(repeating: "x", count: 120)
    static let path = "/v1/projects/demo-project/messages:send"
    static let serviceAccount = "pushengine@demo-project.iam.gserviceaccount.com"
    static let rsaKey: RSAPrivateKey = {
        do { return try RSAPrivateKey.generate(bits: 2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()

    let clock = ManualClock()

    func body(token: String = registrationToken, extra: String = "") -> [UInt8] {
        Array(#"{"message":{"token":"\#(token)","notification":{"title":"Hi","body":"There"},"data":{"k":"v"},"android":{"priority":"high"}\#(extra)}}"#.utf8)
    }

    func send(_ gateway: MockGateway, token: String = registrationToken, bearer: String? = nil, body: [UInt8]? = nil) -> HTTP2ServerResponse {
        var headers = [HTTP2HeaderField("content-type", "application/json")]
        if let bearer { headers.append(HTTP2HeaderField("authorization", "Bearer \(bearer)")) }
        return gateway.handle(HTTP2ServerRequest(method: "POST", path: Self.path, headers: headers, body: body ?? self.body(token: token)))
    }

    func assertion(issuer: String = serviceAccount, scope: String = MockGateway.messagingScope, lifetime: Int64 = 3600, key: RSAPrivateKey = rsaKey) throws -> String {
        let now = clock.milliseconds / 1000
        let claims = #"{"iss":"\#(issuer)","scope":"\#(scope)","aud":"https://oauth2.googleapis.com/token","iat":\#(now),"exp":\#(now + lifetime)}"#
        return try JWSCompact.sign(header: Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8), claims: Array(claims.utf8), signer: RS256Signer(key: key)).compact
    }

    func grant(_ gateway: MockGateway, assertion: String, grantType: String = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") -> HTTP2ServerResponse {
        gateway.handle(HTTP2ServerRequest(
            method: "POST", path: "/token", headers: [HTTP2HeaderField("content-type", "application/x-www-form-urlencoded")],
            body: Array("grant_type=\(grantType)&assertion=\(assertion)".utf8)
        ))
    }

    func authenticatedGateway(scenario: Scenario? = nil) throws -> MockGateway {
        MockGateway(configuration: MockGatewayConfiguration(
            scenario: scenario, clock: clock.clock,
            serviceAccounts: [Self.serviceAccount: try Self.rsaKey.publicKey()]
        ))
    }

    func fcmErrorCode(_ response: HTTP2ServerResponse) -> String? {
        guard case .array(let details)? = response.json?["error"]?["details"] else { return nil }
        return details.first?["errorCode"]?.stringValue
    }

    @Test("token endpoint issues a bearer that send accepts end to end")
    func endToEnd() throws {
        let gateway = try authenticatedGateway()
        let granted = grant(gateway, assertion: try assertion())
        #expect(granted.status == 200)
        let accessToken = try #require(granted.json?["access_token"]?.stringValue)
        #expect(granted.json?["expires_in"]?.numberValue == 3600)
        #expect(granted.json?["token_type"]?.stringValue == "Bearer")
        let sent = send(gateway, bearer: accessToken)
        #expect(sent.status == 200)
        let name = try #require(sent.json?["name"]?.stringValue)
        #expect(name.hasPrefix("projects/demo-project/messages/"))
    }

    @Test("send without a bearer, or one the gateway did not issue, is 401; issued bearers expire")
    func unauthenticated() throws {
        let gateway = try authenticatedGateway()
        #expect(send(gateway).status == 401)
        let forged = send(gateway, bearer: "ya29.forged")
        #expect(forged.status == 401)
        #expect(forged.json?["error"]?["status"]?.stringValue == "UNAUTHENTICATED")
        let accessToken = try #require(grant(gateway, assertion: try assertion()).json?["access_token"]?.stringValue)
        clock.advance(seconds: 3601)
        #expect(send(gateway, bearer: accessToken).status == 401)
    }

    @Test("token endpoint refuses bad grants with OAuth2 errors")
    func badGrants() throws {
        let gateway = try authenticatedGateway()
        let otherKey = try RSAPrivateKey.generate(bits: 2048)
        let refusals: [(HTTP2ServerResponse, String)] = [
            (grant(gateway, assertion: try assertion(), grantType: "client_credentials"), "unsupported_grant_type"),
            (grant(gateway, assertion: try assertion(key: otherKey)), "invalid_grant"),
            (grant(gateway, assertion: try assertion(issuer: "stranger@example.com")), "invalid_grant"),
            (grant(gateway, assertion: try assertion(scope: "https://www.googleapis.com/auth/cloud-platform.read-only")), "invalid_grant"),
            (grant(gateway, assertion: try assertion(lifetime: 7200)), "invalid_grant"),
            (grant(gateway, assertion: "garbage"), "invalid_grant"),
        ]
        for (index, (response, error)) in refusals.enumerated() {
            #expect(response.status == 400, "case \(index)")
            #expect(response.json?["error"]?.stringValue == error, "case \(index)")
        }
    }

    @Test("INVALID_ARGUMENT: malformed body, bad token, non-string data, oversized payload")
    func invalidArgument() throws {
        let gateway = Fixtures.noAuthGateway()
        let bodies: [[UInt8]] = [
            Array("not json".utf8),
            Array(#"{"msg":{}}"#.utf8),
            body(token: "bad token!"),
            Array(#"{"message":{"token":"abc","data":{"n":1}}}"#.utf8),
            Array(#"{"message":{"token":"abc","data":{"big":"\#(String(repeating: "x", count: 4100))"}}}"#.utf8),
        ]
        for (index, body) in bodies.enumerated() {
            let response = send(gateway, body: body)
            #expect(response.status == 400, "body \(index)")
            #expect(response.json?["error"]?["status"]?.stringValue == "INVALID_ARGUMENT", "body \(index)")
            #expect(fcmErrorCode(response) == "INVALID_ARGUMENT", "body \(index)")
        }
    }

    @Test("scenario answers map to FCM errors", arguments: [
        (ScenarioAnswer.unregistered(timestampMilliseconds: nil), 404, "UNREGISTERED", "NOT_FOUND"),
        (.badDeviceToken, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
        (.deviceTokenNotForTopic, 403, "SENDER_ID_MISMATCH", "PERMISSION_DENIED"),
        (.transient(status: 429, firstTries: 1), 429, "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"),
        (.transient(status: 500, firstTries: 1), 500, "INTERNAL", "INTERNAL"),
        (.transient(status: 503, firstTries: 1), 503, "UNAVAILABLE", "UNAVAILABLE"),
    ])
    func scenarioErrors(answer: ScenarioAnswer, status: Int, errorCode: String, canonical: String) {
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [Self.registrationToken]), answer: answer)])
        let gateway = Fixtures.noAuthGateway(scenario: scenario)
        let response = send(gateway)
        #expect(response.status == status)
        #expect(response.json?["error"]?["code"]?.numberValue == Double(status))
        #expect(response.json?["error"]?["status"]?.stringValue == canonical)
        #expect(fcmErrorCode(response) == errorCode)
        #expect((response.header("retry-after") != nil) == (status == 429))
        #expect(gateway.statistics.snapshot().byReason == [errorCode: 1])
    }

    @Test("unknown FCM paths are 404, other methods 405")
    func routing() {
        let gateway = Fixtures.noAuthGateway()
        #expect(gateway.handle(HTTP2ServerRequest(method: "POST", path: "/v1/projects/p/other")).status == 404)
        #expect(gateway.handle(HTTP2ServerRequest(method: "GET", path: Self.path)).status == 405)
    }
}
