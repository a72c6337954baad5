import Delivery
import Gateways
import HTTP2Transport
import MockGateway
import PushIndex
import PushModel
import PushTestSupport
import Testing

/// Per-language message variants and per-request `apns-id`, against the mock over TLS.
@Suite(.serialized) struct VariantAndAPNsIDTests {
    static let french = PushMessage(title: "Bonjour", body: "Salut")
    static let german = PushMessage(title: "Hallo", body: "Servus")
    static let fallback = PushMessage(title: "Hello", body: "Hi")

    static func index(languages: [String?]) throws -> ShardedIndex {
        let index = TestData.index(0)
        for (i, language) in languages.enumerated() {
            var installation = TestData.installation(i)
            installation.language = try language.map { try LanguageCode($0) }
            _ = try index.upsert(installation)
        }
        return index
    }

    /// Each installation gets its language's variant, the others the default; each variant's
    /// payload is encoded once and every request of that variant shares its bytes.
    @Test func eachTargetGetsItsLanguagesVariant() async throws {
        let recorder = GatewayRecorder()
        let h = try Harness(recorder: recorder)
        defer { h.shutdown() }
        let template = try APNsSendTemplate(message: Self.fallback, variants: [try LanguageCode("fr"): Self.french, try LanguageCode("de"): Self.german],
                                            options: APNsOptions(topic: "com.example.app"), tokens: nil)
        #expect(template.variantCount == 3)
        let languages: [String?] = ["fr", "de", nil, "es", "FR", "de"]
        let run = try h.dispatcher(try Self.index(languages: languages)).launchCampaign(.random(), segment: .all, templates: [.iOS: template])
        #expect(await run.finished(within: .seconds(30)).sent == languages.count)
        let payloads = Dictionary(uniqueKeysWithValues: recordedRequests(recorder).map { ($0.token, $0.payload) })
        #expect(payloads.count == languages.count)
        func payload(of i: Int) -> String? { payloads[TestData.tokenHex(i)] }
        #expect(payload(of: 0)?.contains("Bonjour") == true)
        #expect(payload(of: 4)?.contains("Bonjour") == true)  // language codes are case-insensitive
        #expect(payload(of: 1)?.contains("Hallo") == true && payload(of: 5)?.contains("Hallo") == true)
        #expect(payload(of: 2)?.contains("Hello") == true && payload(of: 3)?.contains("Hello") == true)
        for i in [0, 1, 2] {
            #expect(payload(of: i).map { Array($0.utf8) } == template.payloads[template.variant(for: try languages[i].map { try LanguageCode($0) })])
        }

        // Built once per variant: the requests reuse the variant's buffer instead of copying it.
        let targets = (0..<6).map { (token: TestData.token($0), tag: UInt64($0), variant: $0 % 3) }
        let (requests, _) = try template.makeRequests(targets, timeout: nil)
        for (r, t) in zip(requests, targets) {
            let shared = r.body.withUnsafeBufferPointer { b in template.payloads[t.variant].withUnsafeBufferPointer { $0.baseAddress == b.baseAddress } }
            #expect(shared)
            #expect(r.headers.isEmpty)  // no apns-id unless asked for
        }
    }

    /// A variant over the payload limit refuses the whole send before anything is sent; a bad
    /// field in a variant names the variant.
    @Test func anOversizedVariantIsRefusedBeforeSending() async throws {
        let big = PushMessage(body: String(repeating: "x", count: 4100))
        #expect {
            try APNsSendTemplate(message: Self.fallback, variants: [try LanguageCode("fr"): big], options: APNsOptions(topic: "t"), tokens: nil)
        } throws: { error in
            guard case GatewayError.payloadTooLarge(_, 4096, _) = error else { return false }
            return true
        }
        let reserved = PushMessage(body: "x", customPayload: [("aps", .string("no"))])
        #expect {
            try APNsSendTemplate(message: Self.fallback, variants: [try LanguageCode("it"): reserved], options: APNsOptions(topic: "t"), tokens: nil)
        } throws: { error in
            guard case GatewayError.invalidField(let field, _) = error else { return false }
            return field.hasPrefix("variants.it.")
        }
    }

    /// FCM variants: the language's title and body end up in the message.
    @Test func fcmBodiesFollowTheVariant() async throws {
        struct StaticTokens: FCMAccessTokenProvider {
            func current() throws(GatewayError) -> (authorization: String, generation: UInt64) { ("Bearer x", 1) }
            func invalidate(generation: UInt64) {}
        }
        let template = try FCMSendTemplate(message: Self.fallback, variants: [try LanguageCode("de"): Self.german], projectID: "p",
                                           tokens: StaticTokens())
        #expect(template.variant(for: try LanguageCode("de")) == 1 && template.variant(for: nil) == 0)
        let token = try DeviceToken(fcm: "abc")
        let (requests, _) = try template.makeRequests([(token, 1, 1), (token, 2, 0)], timeout: nil)
        #expect(String(decoding: requests[0].body, as: UTF8.self).contains("Servus"))
        #expect(String(decoding: requests[1].body, as: UTF8.self).contains("\"Hi\""))
    }

    /// With `sendsAPNsID`, every request carries a canonical UUID `apns-id` (never HPACK-indexed)
    /// that the sender can compute in advance, the same on a retry and distinct per token; the
    /// validating gateway accepts them all and echoes them.
    @Test func apnsIDIsSentWhenAskedForAndStableAcrossRetries() async throws {
        let recorder = GatewayRecorder()
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(1)]), answer: .transient(status: 503, firstTries: 1))])
        let h = try Harness(scenario: scenario, recorder: recorder)
        defer { h.shutdown() }
        let template = try APNsSendTemplate(message: Self.fallback, options: APNsOptions(topic: "com.example.app", sendsAPNsID: true), tokens: nil)
        let progress = try await h.campaign(TestData.index(20), template: template)
        #expect(progress.sent == 20)
        let records = recordedRequests(recorder)
        #expect(records.count == 21)  // token 1 twice
        for r in records {
            let token = try DeviceToken(apnsHex: r.token)
            #expect(r.messageID == template.apnsID(for: token))
            #expect(UUIDBytes.parse(r.messageID) != nil)
        }
        #expect(Set(records.map(\.messageID)).count == 20)
        #expect(h.server.gateway.statistics.snapshot().byReason["BadMessageId"] == nil)

        let (requests, _) = try template.makeRequests([(TestData.token(3), 7, 0)], timeout: nil)
        #expect(requests[0].headers.map(\.name) == ["apns-id"] && requests[0].headers[0].neverIndex)
        // Another send gets other IDs for the same token.
        let other = try APNsSendTemplate(message: Self.fallback, options: APNsOptions(topic: "t", sendsAPNsID: true), tokens: nil)
        #expect(other.apnsID(for: TestData.token(3)) != template.apnsID(for: TestData.token(3)))
    }

    /// Off by default: the gateway assigns the IDs.
    @Test func noAPNsIDByDefault() async throws {
        let recorder = GatewayRecorder()
        let h = try Harness(recorder: recorder)
        defer { h.shutdown() }
        let template = try h.template()
        await #expect(try h.campaign(TestData.index(5), template: template).sent == 5)
        let records = recordedRequests(recorder)
        #expect(records.count == 5)
        #expect(records.allSatisfy { $0.messageID != template.apnsID(for: try! DeviceToken(apnsHex: $0.token)) })
    }
}
