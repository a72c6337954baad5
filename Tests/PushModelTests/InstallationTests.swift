import Testing
import PushModel

@Suite struct InstallationTests {
    @Test func tokenMustComeFromThePlatformsGateway() throws {
        let t = Timestamp(secondsSince1970: 1_700_000_000)
        let apns = try DeviceToken(apnsHex: String(repeating: "ab", count: 32))
        var i = Installation(id: try InstallationID("i-1"), platform: .iOS, token: apns, createdAt: t, lastSeenAt: t)
        try i.validate()
        #expect(i.tokenRegisteredAt == t)
        i.platform = .android
        #expect(throws: ValidationError.self) { try i.validate() }
        do { try i.validate() } catch { #expect(error.field == "token") }
    }

    @Test func timestampsRoundSecondsDown() {
        #expect(Timestamp(millisecondsSince1970: 1_999).secondsSince1970 == 1)
        #expect(Timestamp(millisecondsSince1970: -1).secondsSince1970 == -1)
        #expect(Timestamp(secondsSince1970: 2) > Timestamp(millisecondsSince1970: 1_999))
    }
}
