@testable import PushIndex
import PushModel

/// Small builders shared by the index tests.
enum Fixture {
    static func uuid(_ n: Int) -> InstallationID {
        InstallationID(uuid: UUIDBytes(hi: 0x1111_0000_0000_4000 | UInt64(n), lo: 0x8000_0000_0000_0000 | UInt64(n)))
    }

    static func apns(_ n: Int) -> DeviceToken {
        var bytes = [UInt8](repeating: 0xA5, count: 32)
        bytes[0] = UInt8(n & 0xFF)
        bytes[1] = UInt8((n >> 8) & 0xFF)
        bytes[2] = UInt8((n >> 16) & 0xFF)
        return try! DeviceToken(apnsBytes: bytes)
    }

    static func fcm(_ n: Int) -> DeviceToken {
        try! DeviceToken(fcm: "fcm\(n):APA91b" + String(repeating: "Z", count: 150))
    }

    static func adv(_ n: Int) -> AdvertisingID {
        try! AdvertisingID(uuid: UUIDBytes(hi: 0xADAD_0000_0000_0000 | UInt64(n), lo: UInt64(n) + 1))
    }

    static func t(_ seconds: Int64) -> Timestamp { Timestamp(secondsSince1970: seconds) }

    static func installation(
        _ n: Int, platform: Platform = .iOS, custom: String? = nil, adv: Int? = nil, optIn: Bool = true,
        language: String? = "fr", region: String? = "FR", lastSeen: Int64 = 1_700_000_000, registeredAt: Timestamp? = nil,
        token: DeviceToken?? = nil
    ) -> Installation {
        Installation(
            id: uuid(n), platform: platform,
            token: token ?? (platform == .iOS ? apns(n) : fcm(n)),
            customID: custom.map { try! CustomID($0) },
            advertisingID: adv.map { Fixture.adv($0) },
            pushOptIn: optIn,
            language: language.map { try! LanguageCode($0) },
            region: region.map { try! RegionCode($0) },
            timeZone: try! TimeZoneID("Europe/Paris"),
            appVersion: try! AppVersion("4.2.0"),
            createdAt: t(1_600_000_000), lastSeenAt: t(lastSeen), tokenRegisteredAt: registeredAt)
    }

    static func index(shards: Int = 4) -> ShardedIndex {
        ShardedIndex(configuration: .init(rowShards: shards, keyShards: shards, hashSeed: 42))
    }
}
