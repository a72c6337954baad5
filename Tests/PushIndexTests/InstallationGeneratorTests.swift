import Testing
import PushIndex
import PushModel

@Suite struct InstallationGeneratorTests {
    @Test func sameSeedSameInstallations() {
        let a = InstallationGenerator(seed: 1)
        let b = InstallationGenerator(seed: 1)
        let c = InstallationGenerator(seed: 2)
        #expect(a.installation(12_345) == b.installation(12_345))
        #expect(a.installation(12_345) != c.installation(12_345))
        #expect(a.installation(7).token == a.token(7))
    }

    @Test func populationMatchesTheProfile() throws {
        let g = InstallationGenerator(seed: 9)
        let sample = (0..<20_000).map(g.installation)
        let custom = sample.filter { $0.customID != nil }.count
        let adv = sample.filter { $0.advertisingID != nil }.count
        #expect(abs(Double(custom) / 20_000 - 0.6) < 0.02)
        #expect(abs(Double(adv) / 20_000 - 0.5) < 0.02)
        #expect(sample.allSatisfy { $0.platform == .iOS && $0.token?.count == 32 })
        #expect(Set(sample.map(\.id)).count == 20_000)
        #expect(sample.compactMap(\.customID).allSatisfy { $0.value.utf8.count == 12 })
        // Some users have several devices.
        #expect(Set(sample.compactMap(\.customID)).count < custom)
        try sample.forEach { try $0.validate() }
        let android = InstallationGenerator(seed: 9, profile: .init(androidShare: 1)).installation(3)
        #expect(android.platform == .android)
        #expect(android.token?.kind == .fcm)
        try android.validate()
    }
}
