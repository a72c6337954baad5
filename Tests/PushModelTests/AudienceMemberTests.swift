import Testing
import PushModel

/// AudienceName and AudienceMember.
@Suite struct AudienceMemberTests {
    @Test func membersParseByKind() throws {
        #expect(try AudienceMember("user-1", kind: .customIDs) == .customID(try CustomID("user-1")))
        #expect(try AudienceMember("EA7583CD-A667-48BC-B806-42ECB2B48606", kind: .advertisingIDs).kind == .advertisingIDs)
        #expect(throws: ValidationError(field: "ids", reason: .invalidUUID)) { try AudienceMember("user-1", kind: .advertisingIDs) }
    }

    @Test func namesAreRestricted() throws {
        #expect(try AudienceName("vip_2024-q4").value == "vip_2024-q4")
        #expect(throws: ValidationError(field: "audience", reason: .invalidCharacters)) { try AudienceName("vip list") }
    }
}
