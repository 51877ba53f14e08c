/// A small deterministic random source (SplitMix64) for retry jitter. The state machine owns one,
/// seeded by the daemon, so backoff is spread across peers in production and reproducible in
/// tests.
public struct Jitter: Sendable {
    private var state: UInt64

    /// A source seeded with `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `delay` scaled by a random factor in [1 − spread, 1 + spread].
    public mutating func spread(_ delay: Double, by spread: Double = 0.2) -> Double {
        let unit = Double(next() >> 11) / Double(UInt64(1) << 53)
        return delay * (1 - spread + 2 * spread * unit)
    }
}
