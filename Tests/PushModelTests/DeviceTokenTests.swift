import Testing
import PushModel

@Suite struct DeviceTokenTests {
    static let hex = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"

    @Test func apnsHexBecomesThirtyTwoBytes() throws {
        let token = try DeviceToken(apnsHex: Self.hex)
        #expect(token.kind == .apns)
        #expect(token.count == 32)
        #expect(token.bytes.prefix(2) == [0x74, 0x0F])
        #expect(token.description == Self.hex)
        #expect(try DeviceToken(apnsHex: Self.hex.uppercased()) == token)
    }

    @Test func longTokensRoundTripToo() throws {
        let hex = String(repeating: "ab", count: 100)
        let token = try DeviceToken(apnsHex: hex)
        #expect(token.count == 100)
        #expect(token.description == hex)
        #expect(throws: ValidationError(field: "token", reason: .tooLong(max: 100))) {
            try DeviceToken(apnsHex: hex + "ab")
        }
    }

    @Test(arguments: ["abc", "zz" + String(repeating: "0", count: 62), "74 f"])
    func badHexIsRejected(text: String) {
        #expect(throws: ValidationError(field: "token", reason: .invalidHex)) { try DeviceToken(apnsHex: text) }
    }

    @Test func fcmTokensAreOpaqueTextUpToFourKilobytes() throws {
        let text = "cVx2Tz9eQ0m:APA91bH" + String(repeating: "k", count: 140)
        let token = try DeviceToken(fcm: text)
        #expect(token.kind == .fcm)
        #expect(token.description == text)
        #expect(token != (try DeviceToken(apnsBytes: Array(text.utf8.prefix(100)))))
        _ = try DeviceToken(fcm: String(repeating: "a", count: 4096))
        #expect(throws: ValidationError(field: "token", reason: .tooLong(max: 4096))) {
            try DeviceToken(fcm: String(repeating: "a", count: 4097))
        }
        #expect(throws: ValidationError(field: "token", reason: .invalidCharacters)) { try DeviceToken(fcm: "a b") }
        #expect(throws: ValidationError(field: "token", reason: .empty)) { try DeviceToken(fcm: "") }
    }

    @Test func platformDecidesTheFormat() throws {
        #expect(try DeviceToken(Self.hex, platform: .iOS).kind == .apns)
        #expect(try DeviceToken(Self.hex, platform: .android).kind == .fcm)
    }
}
