import Testing
import PushModel

/// LanguageCode, RegionCode, AppVersion and TimeZoneID: the small installation fields.
@Suite struct InstallationFieldsTests {
    @Test func languagesAndRegionsNormaliseCaseAndPackIntoSixteenBits() throws {
        #expect(try LanguageCode("FR").description == "fr")
        #expect(try LanguageCode("fil").description == "fil")
        #expect(try RegionCode("fr").description == "FR")
        #expect(try LanguageCode("fr") == (try LanguageCode("Fr")))
        #expect(try LanguageCode("fr").packed != (try LanguageCode("rf")).packed)
    }

    @Test(arguments: ["", "f", "fren", "f1"])
    func badLanguagesNameTheField(text: String) {
        #expect(throws: ValidationError.self) { try LanguageCode(text) }
        do { _ = try LanguageCode(text) } catch { #expect(error.field == "language") }
    }

    @Test func regionsAreTwoLetters() {
        #expect(throws: ValidationError(field: "region", reason: .invalidCharacters)) { try RegionCode("FRA") }
    }

    @Test func versionsAndZonesAreShortText() throws {
        #expect(try AppVersion("4.2.1 (311)").value == "4.2.1 (311)")
        #expect(throws: ValidationError(field: "app_version", reason: .tooLong(max: 64))) {
            try AppVersion(String(repeating: "1", count: 65))
        }
        #expect(try TimeZoneID("America/Argentina/Buenos_Aires").value == "America/Argentina/Buenos_Aires")
        #expect(throws: ValidationError(field: "timezone", reason: .invalidCharacters)) { try TimeZoneID("Europe Paris") }
    }
}
