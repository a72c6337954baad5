public import MockGateway
public import PushCrypto
public import PushIndex
public import PushModel
import PushJSON
import Synchronization

/// One clock for the engine (wall clock) and the mock gateway (token ages), moved by hand.
public final class SharedTestClock: Sendable {
    private let now = Mutex<Int64>(1_800_000_000_000)
    public init() {}
    public var milliseconds: Int64 { now.withLock { $0 } }
    public func advance(minutes: Int64) { now.withLock { $0 += minutes * 60_000 } }
    /// The clock to hand to the engine and to the mock gateway alike.
    public var clock: PushClock { PushClock { [self] in milliseconds } }
}

/// Keys, tokens and installations shared by the delivery and facade tests.
public enum TestData {
    public static let keyID = "KEY1234567"
    public static let teamID = "TEAM123456"
    public static let signingKey: P256PrivateKey = { try! P256PrivateKey.generate() }()
    public static let epoch = Timestamp(millisecondsSince1970: 1_700_000_000_000)

    /// A 32-byte APNs token in lower-case hex, distinct per `i`.
    public static func tokenHex(_ i: Int) -> String {
        let h = String(i, radix: 16)
        return "fe" + String(repeating: "0", count: 62 - h.count) + h
    }

    public static func token(_ i: Int) -> DeviceToken { try! DeviceToken(apnsHex: tokenHex(i)) }

    public static func installationID(_ i: Int) -> InstallationID { try! InstallationID("inst-\(i)") }

    public static func installation(_ i: Int, optIn: Bool = true, customID: String? = nil, registeredAt: Timestamp = epoch,
                                    platform: Platform = .iOS) -> Installation {
        Installation(id: installationID(i), platform: platform, token: platform == .iOS ? token(i) : try! DeviceToken(fcm: "fcm-\(i)"),
                     customID: customID.map { try! CustomID($0) }, pushOptIn: optIn,
                     createdAt: epoch, lastSeenAt: registeredAt, tokenRegisteredAt: registeredAt)
    }

    public static func index(_ count: Int) -> ShardedIndex {
        let index = ShardedIndex(configuration: ShardedIndex.Configuration(rowShards: 8, keyShards: 8, expectedInstallations: count))
        for i in 0..<count { _ = try! index.upsert(installation(i)) }
        return index
    }
}

/// The mock's records as (token, apns-id, payload), parsed from its JSON lines.
public func recordedRequests(_ recorder: GatewayRecorder) -> [(token: String, messageID: String, payload: String)] {
    recorder.lines().compactMap { line in
        guard let json = try? JSONValue.parse(Array(line.utf8)), let token = json["token"]?.stringValue else { return nil }
        return (token, json["apns_id"]?.stringValue ?? "", json["payload"]?.stringValue ?? "")
    }
}
