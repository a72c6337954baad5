@testable import Delivery
import EventLog
import PushModel
import Testing

/// Event lines carry the installation and advertising IDs in the case they were received in.
@Suite struct EventSinkFormattingTests {
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
