public import PushModel

/// Deterministic synthetic installations for benchmarks and load tests: the same seed and
/// index always give the same installation, so threads can build disjoint ranges and a
/// later run (the delivery benchmark) can regenerate the same tokens.
public struct InstallationGenerator: Sendable {
    /// The mix of the generated population.
    public struct Profile: Sendable {
        /// Fraction of Android installations (FCM tokens of 152 characters); the rest are iOS.
        public var androidShare: Double
        /// Fraction with a custom ID (`user-NNNNNNN`, about 12 characters; one in ten shares the
        /// previous index's user, giving users with several devices).
        public var customIDShare: Double
        /// Fraction with an advertising ID.
        public var advertisingIDShare: Double
        /// Fraction opted in to push.
        public var optInShare: Double

        /// The index benchmark's population: iOS only, 60% custom IDs, 50% advertising IDs.
        public init(androidShare: Double = 0, customIDShare: Double = 0.6, advertisingIDShare: Double = 0.5, optInShare: Double = 0.8) {
            self.androidShare = androidShare
            self.customIDShare = customIDShare
            self.advertisingIDShare = advertisingIDShare
            self.optInShare = optInShare
        }
    }

    /// The seed all values derive from.
    public let seed: UInt64
    /// The population mix.
    public let profile: Profile

    private static let languages = ["en", "fr", "de", "es", "it", "pt", "nl", "ja"].map { try! LanguageCode($0) }
    private static let regions = ["US", "FR", "DE", "ES", "IT", "BR", "NL", "JP", "GB", "CA"].map { try! RegionCode($0) }
    private static let timeZones = ["Europe/Paris", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo"]
        .map { try! TimeZoneID($0) }
    private static let versions = (0..<20).map { try! AppVersion("4.\($0).0") }
    private static let tiers = ["free", "silver", "gold", "platinum"]
    /// 2026-01-01T00:00:00Z.
    private static let epoch: Int64 = 1_767_225_600

    // The value tables, held by each generator: reading a static costs a `swift_once` check per
    // access, four per installation, and the build times the generator too.
    private let languageTable = Self.languages
    private let regionTable = Self.regions
    private let timeZoneTable = Self.timeZones
    private let versionTable = Self.versions

    /// Creates a generator.
    public init(seed: UInt64, profile: Profile = Profile()) {
        self.seed = seed
        self.profile = profile
    }

    private func stream(_ index: Int, _ salt: UInt64) -> SplitMix64 {
        SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93) ^ salt)
    }

    private func isAndroid(_ index: Int) -> Bool {
        var s = stream(index, 0x11)
        return s.unit() < profile.androidShare
    }

    /// The installation at `index`.
    public func installation(_ index: Int) -> Installation {
        var s = stream(index, 0x22)
        let idHi = s.next() & ~0xF000 | 0x4000  // version 4
        let idLo = s.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let advertising: AdvertisingID?
        if s.unit() < profile.advertisingIDShare {
            // Never all zero (the low bit of `hi` is set), so no validation is needed.
            advertising = AdvertisingID(unchecked: UUIDBytes(hi: s.next() | 1, lo: s.next()), letterCase: .upper)
        } else {
            advertising = nil
        }
        let created = Self.epoch - Int64(s.next() % (365 * 86_400))
        let lastSeen = created + Int64(s.next() % (30 * 86_400))
        let android = isAndroid(index)
        return Installation(
            id: InstallationID(uuid: UUIDBytes(hi: idHi, lo: idLo)),
            platform: android ? .android : .iOS,
            token: token(index),
            customID: customID(index),
            advertisingID: advertising,
            pushOptIn: s.unit() < profile.optInShare,
            language: languageTable[Int(s.next() % UInt64(languageTable.count))],
            region: regionTable[Int(s.next() % UInt64(regionTable.count))],
            timeZone: timeZoneTable[Int(s.next() % UInt64(timeZoneTable.count))],
            appVersion: versionTable[Int(s.next() % UInt64(versionTable.count))],
            createdAt: Timestamp(secondsSince1970: created),
            lastSeenAt: Timestamp(secondsSince1970: lastSeen),
            tokenRegisteredAt: Timestamp(secondsSince1970: created))
    }

    /// The token of the installation at `index`: 32 random bytes (iOS) or a 152-character
    /// FCM-shaped string (Android).
    public func token(_ index: Int) -> DeviceToken {
        var s = stream(index, 0x33)
        if isAndroid(index) {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            var text = [UInt8]()
            text.reserveCapacity(152)
            while text.count < 152 {
                var w = s.next()
                for _ in 0..<10 where text.count < 152 {
                    text.append(alphabet[Int(w & 63)])
                    w >>= 6
                }
            }
            text[11] = UInt8(ascii: ":")
            return DeviceToken(unchecked: .fcm, bytes: text)
        }
        var words = (s.next(), s.next(), s.next(), s.next())
        return withUnsafeBytes(of: &words) { DeviceToken(unchecked: .apns, raw: $0) }
    }

    /// The custom ID of the installation at `index`, if it has one.
    public func customID(_ index: Int) -> CustomID? {
        var s = stream(index, 0x44)
        guard s.unit() < profile.customIDShare else { return nil }
        let number = (s.next() % 10 == 0 && index > 0) ? index - 1 : index
        var width = 1
        var rest = number / 10
        while rest > 0 { width += 1; rest /= 10 }
        let digits = max(7, width)
        // Written in place: the build times the generator too.
        let text = String(unsafeUninitializedCapacity: 5 + digits) { buffer in
            buffer[0] = UInt8(ascii: "u"); buffer[1] = UInt8(ascii: "s"); buffer[2] = UInt8(ascii: "e")
            buffer[3] = UInt8(ascii: "r"); buffer[4] = UInt8(ascii: "-")
            var n = number
            for i in stride(from: 4 + digits, through: 5, by: -1) {
                buffer[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            }
            return 5 + digits
        }
        return CustomID(unchecked: text)
    }

    /// Two custom attributes for the user of `index`: `tier` (free, silver, gold, platinum)
    /// and `age` (18…80). The benchmark's scan filters on both.
    public func attributes(_ index: Int) -> [AttributeName: AttributeValue] {
        var s = stream(index, 0x55)
        return [
            Self.tierName: .string(Self.tiers[Int(s.next() % 4)]),
            Self.ageName: .int(18 + Int64(s.next() % 63)),
        ]
    }

    /// The `tier` attribute name.
    public static let tierName = try! AttributeName("tier")
    /// The `age` attribute name.
    public static let ageName = try! AttributeName("age")
}
