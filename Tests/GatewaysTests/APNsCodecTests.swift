import HTTP2Transport
import PushJSON
import PushModel
import Testing
@testable import Gateways

@Suite struct APNsCodecTests {
    @Test func payloadHasEveryMessageField() throws {
        let message = PushMessage(
            title: "Hi \"you\"", subtitle: "sub", body: "line1\nline2", badge: 3, sound: "default", category: "CAT",
            threadID: "t1", mutableContent: true, contentAvailable: true, deeplink: "app://x", mediaURL: "https://m/x.png",
            customPayload: [("k", .string("v")), ("n", .int(7)), ("o", .object([("a", .array([.bool(true), .null]))]))])
        let json = String(decoding: try APNsCodec.payload(for: message), as: UTF8.self)
        #expect(json == #"{"aps":{"alert":{"title":"Hi \"you\"","subtitle":"sub","body":"line1\nline2"},"badge":3,"sound":"default","category":"CAT","thread-id":"t1","mutable-content":1,"content-available":1},"deeplink":"app://x","media-url":"https://m/x.png","k":"v","n":7,"o":{"a":[true,null]}}"#)
        // What we write, our reader reads back.
        let parsed = try JSONValue.parse(try APNsCodec.payload(for: message))
        #expect(parsed["aps"]?["alert"]?["body"]?.stringValue == "line1\nline2")
        #expect(parsed["n"]?.integerValue == 7)
    }

    @Test func backgroundPayloadHasNoAlert() throws {
        let json = String(decoding: try APNsCodec.payload(for: PushMessage(contentAvailable: true), pushType: .background), as: UTF8.self)
        #expect(json == #"{"aps":{"content-available":1}}"#)
    }

    @Test func controlCharactersAreEscaped() throws {
        let json = String(decoding: try APNsCodec.payload(for: PushMessage(body: "a\u{01}b\\")), as: UTF8.self)
        #expect(json == #"{"aps":{"alert":{"body":"a\u0001b\\"}}}"#)
    }

    @Test(arguments: [(APNsPushType.alert, 4096), (.background, 4096), (.voip, 5120)])
    func payloadLimitIsEnforcedAtTheByteBoundary(pushType: APNsPushType, limit: Int) throws {
        let overhead = try APNsCodec.payload(for: PushMessage(body: ""), pushType: pushType).count
        let fits = PushMessage(body: String(repeating: "x", count: limit - overhead))
        #expect(try APNsCodec.payload(for: fits, pushType: pushType).count == limit)
        let over = PushMessage(body: String(repeating: "x", count: limit - overhead + 1))
        #expect(throws: GatewayError.payloadTooLarge(size: limit + 1, limit: limit, pushType: pushType.rawValue)) {
            try APNsCodec.payload(for: over, pushType: pushType)
        }
    }

    @Test func customKeyApsIsRefused() {
        #expect(throws: GatewayError.invalidField(field: "custom_payload.aps", reason: "the key `aps` is reserved for APNs")) {
            try APNsCodec.payload(for: PushMessage(body: "x", customPayload: [("aps", .int(1))]))
        }
    }

    @Test func pathIsLowerCaseHex() throws {
        let token = try DeviceToken(apnsHex: "00FF10ab" + String(repeating: "cd", count: 28))
        #expect(APNsCodec.path(for: token) == "/3/device/00ff10ab" + String(repeating: "cd", count: 28))
    }

    @Test func headerBlockCarriesTheSendsConstantHeaders() throws {
        let block = try APNsCodec.headerBlock(
            options: APNsOptions(topic: "com.example", pushType: .alert, priority: .considerPower, expiration: .immediately, collapseID: "c"),
            authorization: "bearer x")
        #expect(block.fields == [
            HTTP2HeaderField("apns-topic", "com.example"), HTTP2HeaderField("apns-push-type", "alert"),
            HTTP2HeaderField("apns-priority", "5"), HTTP2HeaderField("apns-expiration", "0"),
            HTTP2HeaderField("apns-collapse-id", "c"), HTTP2HeaderField("authorization", "bearer x"),
        ])
    }

    @Test(arguments: [(APNsPriority.immediate, "10"), (.considerPower, "5"), (.low, "1")])
    func priorityIsSentAsItsNumber(priority: APNsPriority, header: String) throws {
        let block = try APNsCodec.headerBlock(options: APNsOptions(topic: "t", priority: priority), authorization: nil)
        #expect(block.fields.contains(HTTP2HeaderField("apns-priority", header)))
    }

    @Test func expirationIsWholeSecondsSince1970() throws {
        let at = Timestamp(millisecondsSince1970: 1_700_000_000_999)
        let block = try APNsCodec.headerBlock(options: APNsOptions(topic: "t", expiration: .at(at)), authorization: nil)
        #expect(block.fields.contains(HTTP2HeaderField("apns-expiration", "1700000000")))
    }

    @Test func badOptionsAreRefusedNamingTheField() {
        #expect(throws: GatewayError.invalidField(field: "collapse_id", reason: "65 bytes, APNs allows 64")) {
            try APNsCodec.headerBlock(options: APNsOptions(topic: "t", collapseID: String(repeating: "c", count: 65)), authorization: nil)
        }
    }

    static func response(_ status: Int, _ body: String, headers: [HTTP2HeaderField] = []) -> Result<HTTP2Response, HTTP2TransportError> {
        .success(HTTP2Response(status: status, headers: headers, body: Array(body.utf8)))
    }

    @Test func acceptedAnswer() {
        #expect(APNsCodec.outcome(of: Self.response(200, "")) == .accepted)
    }

    @Test func unregisteredCarriesItsTimestamp() {
        let outcome = APNsCodec.outcome(of: Self.response(410, #"{"reason":"Unregistered","timestamp":1793530800000}"#))
        #expect(outcome == .rejected(.unregistered, invalidatedAt: Timestamp(millisecondsSince1970: 1_793_530_800_000)))
    }

    @Test(arguments: [
        (400, "BadDeviceToken", RejectionReason.Consequence.invalidToken),
        (410, "ExpiredToken", .invalidToken),
        (400, "DeviceTokenNotForTopic", .permanent),
        (400, "TopicDisallowed", .permanent),
        (413, "PayloadTooLarge", .permanent),
        (403, "ExpiredProviderToken", .credentials),
        (403, "InvalidProviderToken", .credentials),
        (400, "SomethingNew", .permanent),
    ])
    func rejectionsKeepReasonAndConsequence(status: Int, reason: String, consequence: RejectionReason.Consequence) throws {
        guard case .rejected(let r, nil) = APNsCodec.outcome(of: Self.response(status, #"{"reason":"\#(reason)"}"#)) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.wireValue == reason)
        #expect(r.status == status)
        #expect(r.consequence == consequence)
    }

    @Test(arguments: [(429, "TooManyRequests"), (500, "InternalServerError"), (503, "ServiceUnavailable"), (502, "BadGateway")])
    func transientAnswersAreFailures(status: Int, reason: String) {
        let outcome = APNsCodec.outcome(of: Self.response(status, #"{"reason":"\#(reason)"}"#, headers: [HTTP2HeaderField("retry-after", "3")]))
        #expect(outcome == .failed(TransientFailure(reason: reason, retryAfter: .seconds(3), status: status)))
    }

    @Test func anAnswerWithoutJSONStillDecodes() {
        #expect(APNsCodec.outcome(of: Self.response(503, "<html>")) == .failed(TransientFailure(reason: "HTTP 503", status: 503)))
        guard case .rejected(let r, nil) = APNsCodec.outcome(of: Self.response(400, "")) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r == .unknown("HTTP 400", status: 400))
    }

    @Test(arguments: [HTTP2TransportError.goAway(lastStreamID: 1, errorCode: 0), .refusedStream, .connectionLost(reason: "x"), .timeout, .notSent(reason: "y")])
    func retryableTransportFailuresAreTransient(error: HTTP2TransportError) {
        guard case .failed = APNsCodec.outcome(of: .failure(error)) else {
            Issue.record("expected a transient failure for \(error)")
            return
        }
    }

    @Test func nonRetryableTransportFailureIsPermanent() {
        guard case .rejected(let r, nil) = APNsCodec.outcome(of: .failure(.tlsHandshakeFailed(reason: "bad cert"))) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.consequence == .permanent)
    }
}
