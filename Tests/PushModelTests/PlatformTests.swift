import Testing
import PushModel

@Suite struct PlatformTests {
    @Test func fileSuffixesMatchTheReference() {
        #expect(Platform.iOS.fileSuffix == "IOS")
        #expect(Platform.android.fileSuffix == "ANDROID")
        #expect(Platform(rawValue: "WINDOWS") == nil)
    }

    @Test(arguments: [("IOS", Platform.iOS), ("ios", .iOS), ("Android", .android), ("ANDROID", .android)])
    func validatingParsesAnyCase(text: String, expected: Platform) throws {
        #expect(try Platform(validating: text) == expected)
    }

    @Test func unknownPlatformNamesTheField() {
        #expect(throws: ValidationError(field: "platform", reason: .unknownValue("WINDOWS"))) {
            try Platform(validating: "WINDOWS")
        }
    }
}
