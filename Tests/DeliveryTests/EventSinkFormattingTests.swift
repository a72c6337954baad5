@testable import Delivery
import EventLog
import PushModel
import Testing

/// The sink's own UUID formatting must match the model's canonical text exactly.
@Suite struct EventSinkFormattingTests {
    @Test func uuidTextMatchesTheCanonicalText() {
        var g = SystemRandomNumberGenerator()
        let samples = [UUIDBytes(hi: 0, lo: 0), UUIDBytes(hi: .max, lo: .max), UUIDBytes(hi: 0x0123_4567_89AB_CDEF, lo: 0xFEDC_BA98_7654_3210)]
            + (0..<200).map { _ in UUIDBytes(hi: g.next(), lo: g.next()) }
        for u in samples {
            #expect(uuidText(u, .lower) == u.string(.lower))
            #expect(uuidText(u, .upper) == u.string(.upper))
        }
    }

    @Test func eventLinesCarryTheCanonicalIDs() throws {
        let installation = try InstallationID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
        let advertising = try AdvertisingID("6f9619ff-8b86-d011-b42d-00c04fc964fe")
        let target = DeliveryTarget(installationID: installation, advertisingID: advertising, token: try DeviceToken(apnsHex: "ab"))
        let event = DeliveryEvent(kind: .sent, target: target, platform: .iOS, time: Timestamp(millisecondsSince1970: 1_700_000_000_000),
                                  source: .campaign(try SendToken("C1")), attempts: 1)
        let record = try #require(EventLogDeliverySink.record(for: event))
        #expect(record.user.installationID.text == "6F9619FF-8B86-D011-B42D-00C04FC964FF")
        #expect(record.user.advertisingID.text == "6f9619ff-8b86-d011-b42d-00c04fc964fe")
    }
}
