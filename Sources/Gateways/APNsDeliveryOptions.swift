public import PushModel

/// `apns-priority`: the three values APNs accepts.
public enum APNsPriority: Int, Hashable, Sendable, CaseIterable {
    /// 10: deliver now (alerts, sounds, badges).
    case immediate = 10
    /// 5: deliver when the device's power state allows (required for background updates).
    case considerPower = 5
    /// 1: lowest, may be grouped and delayed further.
    case low = 1
}

/// `apns-expiration`: how long APNs keeps a notification it cannot deliver at once.
public enum APNsExpiration: Hashable, Sendable {
    /// 0: try once, store nothing.
    case immediately
    /// Keep it until this moment (sent as whole seconds since 1970).
    case at(Timestamp)

    /// The header's value: seconds since 1970, 0 for ``immediately``.
    public var headerValue: Int64 {
        switch self {
        case .immediately: return 0
        case .at(let t): return max(0, t.millisecondsSince1970 / 1000)
        }
    }
}
