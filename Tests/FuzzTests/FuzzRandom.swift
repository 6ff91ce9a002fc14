// A small seeded generator for the fuzzers: input i of a run is a pure function of (seed, target,
// i), so any failure reproduces from the seed and iteration printed with it.

/// SplitMix64 (Steele, Lea & Flood 2014): fast, and good enough to pick mutations.
struct FuzzRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The generator for iteration `iteration` of `target` in run `seed`.
    init(seed: UInt64, target: String, iteration: Int) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the target name keeps targets apart
        for byte in target.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        self.init(seed: seed ^ h ^ (UInt64(bitPattern: Int64(iteration)) &* 0x9e37_79b9_7f4a_7c15))
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }
}
