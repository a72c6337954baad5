import Testing
import PushModel

@Suite struct PlatformTests {
    @Test func fileSuffixesMatchTheReference() {
        #expect(Platform.iOS.fileSuffix == "IOS")
        #expect(Platform.android.fileSuffix == "ANDROID")
        #expect(Platform(rawValue: "WINDOWS") == nil)
    }
}
