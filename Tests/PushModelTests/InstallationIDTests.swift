import Testing
import PushModel

@Suite struct InstallationIDTests {
    @Test func uuidsAreStoredAsBytesAndCompareIgnoringCase() throws {
        let a = try InstallationID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
        let b = try InstallationID("6f9619ff-8b86-d011-b42d-00c04fc964ff")
        #expect(a.uuid != nil)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description == "6F9619FF-8B86-D011-B42D-00C04FC964FF")
        #expect(b.description == "6f9619ff-8b86-d011-b42d-00c04fc964ff")
    }

    @Test func otherStringsAreOpaque() throws {
        let id = try InstallationID("install-42")
        #expect(id.uuid == nil)
        #expect(id.description == "install-42")
        #expect(id != (try InstallationID("install-43")))
    }

    @Test func sixtyFourBytesIsTheLimit() throws {
        _ = try InstallationID(String(repeating: "x", count: 64))
        #expect(throws: ValidationError(field: "installation_id", reason: .tooLong(max: 64))) {
            try InstallationID(String(repeating: "x", count: 65))
        }
        #expect(throws: ValidationError(field: "install_ids[2]", reason: .empty)) {
            try InstallationID("", field: "install_ids[2]")
        }
        #expect(throws: ValidationError(field: "installation_id", reason: .invalidCharacters)) {
            try InstallationID("a\nb")
        }
    }
}
