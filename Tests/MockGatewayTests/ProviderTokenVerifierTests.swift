import Foundation
import HTTP2Transport
import PushCrypto
import PushTestSupport
import Testing
@testable import MockGateway

@Suite("Provider tokens (JWT ES256)")
struct ProviderTokenVerifierTests {
    let clock = ManualClock()

    func gateway() throws -> MockGateway {
        MockGateway(configuration: MockGatewayConfiguration(
            verificationKeys: [try Fixtures.verificationKey()], clock: clock.clock
        ))
    }

    func request(token: String?, connection: UInt64 = 1) -> HTTP2ServerRequest {
        var headers = [HTTP2HeaderField("apns-topic", Fixtures.topic)]
        if let token { headers.append(HTTP2HeaderField("authorization", "bearer \(token)")) }
        return Fixtures.apnsRequest(headers: headers, connectionID: connection)
    }

    var nowSeconds: Int64 { clock.milliseconds / 1000 }

    @Test("a valid token is accepted")
    func valid() throws {
        let response = try gateway().handle(request(token: Fixtures.providerToken(issuedAt: nowSeconds)))
        #expect(response.status == 200)
    }

    @Test("MissingProviderToken: no authorization, or not a bearer")
    func missing() throws {
        let gateway = try gateway()
        #expect(gateway.handle(request(token: nil)).reason == "MissingProviderToken")
        let basic = Fixtures.apnsRequest(headers: [HTTP2HeaderField("apns-topic", Fixtures.topic), HTTP2HeaderField("authorization", "basic abc")])
        #expect(gateway.handle(basic).status == 403)
        #expect(gateway.handle(basic).reason == "MissingProviderToken")
    }

    @Test("InvalidProviderToken: signed by another key, unknown kid, wrong team, wrong alg, garbage")
    func invalid() throws {
        let gateway = try gateway()
        let otherKey = try P256PrivateKey.generate()
        let tokens = [
            try Fixtures.providerToken(issuedAt: nowSeconds, key: otherKey),
            try Fixtures.providerToken(issuedAt: nowSeconds, keyID: "UNKNOWN000"),
            try Fixtures.providerToken(issuedAt: nowSeconds, teamID: "OTHERTEAM1"),
            try Fixtures.providerToken(issuedAt: nowSeconds, alg: "HS256"),
            "not.a.jwt", "a.b",
        ]
        for (index, token) in tokens.enumerated() {
            let response = gateway.handle(request(token: token, connection: UInt64(index + 10)))
            #expect(response.status == 403, "token \(index)")
            #expect(response.reason == "InvalidProviderToken", "token \(index)")
        }
    }

    @Test("ExpiredProviderToken: iat more than one hour old, also for an adopted token")
    func expired() throws {
        let gateway = try gateway()
        let old = try Fixtures.providerToken(issuedAt: nowSeconds - 3601)
        #expect(gateway.handle(request(token: old)).reason == "ExpiredProviderToken")
        let fresh = try Fixtures.providerToken(issuedAt: nowSeconds)
        #expect(gateway.handle(request(token: fresh, connection: 2)).status == 200)
        clock.advance(seconds: 3601)
        let later = gateway.handle(request(token: fresh, connection: 2))
        #expect(later.status == 403)
        #expect(later.reason == "ExpiredProviderToken")
    }

    @Test("TooManyProviderTokenUpdates: a connection changing its token within 20 minutes")
    func tooManyUpdates() throws {
        let gateway = try gateway()
        let first = try Fixtures.providerToken(issuedAt: nowSeconds)
        #expect(gateway.handle(request(token: first)).status == 200)
        clock.advance(seconds: 60)
        let second = try Fixtures.providerToken(issuedAt: nowSeconds)
        let refused = gateway.handle(request(token: second))
        #expect(refused.status == 429)
        #expect(refused.reason == "TooManyProviderTokenUpdates")
        // The old token stays adopted, another connection may use the new one.
        #expect(gateway.handle(request(token: first)).status == 200)
        #expect(gateway.handle(request(token: second, connection: 2)).status == 200)
        // After 20 minutes the change is allowed.
        clock.advance(seconds: 20 * 60)
        #expect(gateway.handle(request(token: second)).status == 200)
    }

    @Test("a closed connection's token history is forgotten")
    func closeForgets() throws {
        let gateway = try gateway()
        #expect(gateway.handle(request(token: try Fixtures.providerToken(issuedAt: nowSeconds))).status == 200)
        gateway.connectionClosed(1)
        clock.advance(seconds: 1)
        #expect(gateway.handle(request(token: try Fixtures.providerToken(issuedAt: nowSeconds))).status == 200)
    }

    @Test("--verify-key argument parsing names the argument on error")
    func keyArgument() throws {
        let path = TestPaths.temporary("key.pem")
        try Fixtures.signingKey.publicKey().pemRepresentation().write(toFile: path, atomically: true, encoding: .utf8)
        let key = try ProviderVerificationKey(argument: "KID0000001:TEAM000001:\(path)")
        #expect(key.keyID == "KID0000001")
        #expect(key.teamID == "TEAM000001")
        #expect(throws: ProviderKeyError.self) { try ProviderVerificationKey(argument: "onlyonepart") }
        #expect(throws: ProviderKeyError.self) { try ProviderVerificationKey(argument: "K:T:/nonexistent/key.pem") }
    }
}
