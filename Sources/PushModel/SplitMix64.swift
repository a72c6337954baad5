/// The one seeded pseudo-random generator: SplitMix64 (Steele, Lea and Flood, 2014). Same seed,
/// same sequence, on every platform — for generated installations, benchmark workloads and
/// tests. Not for anything secret (use `SystemRandomNumberGenerator`).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The state; the next output is `mix(state + golden gamma)`.
    public var state: UInt64

    /// A generator whose sequence is determined by `seed`.
    @inlinable
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A double in [0, 1) from the top 53 bits of ``next()``.
    @inlinable
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// SplitMix64's finaliser: a bijective 64-bit mix, also usable alone as a hash finaliser.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
