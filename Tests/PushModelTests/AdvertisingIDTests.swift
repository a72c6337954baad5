import Testing
import PushModel

@Suite struct AdvertisingIDTests {
    @Test func parsesIDFAAndGAIDAndComparesBytes() throws {
        let idfa = try AdvertisingID("EA7583CD-A667-48BC-B806-42ECB2B48606")
        let same = try AdvertisingID("ea7583cd-a667-48bc-b806-42ecb2b48606")
        #expect(idfa == same)
        #expect(idfa.description == "EA7583CD-A667-48BC-B806-42ECB2B48606")
        #expect(same.description == "ea7583cd-a667-48bc-b806-42ecb2b48606")
    }

    @Test func rejectsNonUUIDAndTheZeroID() {
        #expect(throws: ValidationError(field: "advertising_id", reason: .invalidUUID)) { try AdvertisingID("not-a-uuid") }
        #expect(throws: ValidationError.self) { try AdvertisingID("00000000-0000-0000-0000-000000000000") }
    }
}
