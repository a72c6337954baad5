import PushModel

/// A seeded 64-bit hash for index keys, computed once per key and reused for the shard
/// (low bits) and the table fingerprint (high 32 bits).
///
/// A multiply-fold mix in the spirit of wyhash: fast on 16–64 byte keys (UUIDs, APNs
/// tokens, custom IDs). The per-index random seed keeps crafted keys from piling into one shard.
struct KeyHasher: Sendable {
    /// Key families, mixed into the hash so equal bytes of different kinds never collide on purpose.
    enum Domain: UInt64 {
        case installationUUID = 0x1
        case installationOpaque = 0x2
        case apnsToken = 0x3
        case fcmToken = 0x4
        case advertisingID = 0x5
        case customID = 0x6
        case audienceKey = 0x7
    }

    let seed: UInt64

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    @inline(__always)
    func hash(_ uuid: UUIDBytes, domain: Domain) -> UInt64 {
        let a = KeyHasher.mix(uuid.hi ^ seed ^ domain.rawValue &* 0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9)
        return KeyHasher.mix(a ^ uuid.lo, 0x94D0_49BB_1331_11EB)
    }

    @inline(__always)
    func hash(_ bytes: UnsafeRawBufferPointer, domain: Domain) -> UInt64 {
        var h = seed ^ (domain.rawValue &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = KeyHasher.mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xBF58_476D_1CE4_E5B9)
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = KeyHasher.mix(h ^ tail, 0xD6E8_FEB8_6659_FD93)
        }
        return KeyHasher.mix(h, 0x94D0_49BB_1331_11EB)
    }

    func hash(_ id: InstallationID) -> UInt64 {
        switch id.storage {
        case .uuid(let u, _): return hash(u, domain: .installationUUID)
        case .opaque(let s):
            var s = s
            return s.withUTF8 { hash(UnsafeRawBufferPointer($0), domain: .installationOpaque) }
        }
    }

    func hash(_ token: DeviceToken) -> UInt64 {
        token.withUnsafeBytes { hash($0, domain: token.kind == .apns ? .apnsToken : .fcmToken) }
    }

    func hash(_ id: CustomID) -> UInt64 {
        var s = id.value
        return s.withUTF8 { hash(UnsafeRawBufferPointer($0), domain: .customID) }
    }

    func hash(_ id: AdvertisingID) -> UInt64 { hash(id.uuid, domain: .advertisingID) }
}

extension UInt64 {
    /// The fingerprint a table stores for a key hash: the high 32 bits, never zero.
    @inline(__always)
    var fingerprint: UInt32 { UInt32(truncatingIfNeeded: self >> 32) | 1 }
}
