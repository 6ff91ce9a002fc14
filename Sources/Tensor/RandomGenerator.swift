// A small, seedable, serialisable random generator (xoshiro256**), so that runs are repeatable
// from a seed and a checkpoint can store and restore the exact generator state.

/// xoshiro256** (Blackman & Vigna 2018): fast, 256-bit state, good statistical quality.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable {
    public var state: [UInt64]
    /// A second normal sample left over from the last Box–Muller draw.
    private var spareNormal: Float?

    public init(seed: UInt64) {
        // SplitMix64 spreads the seed over the four words, as the xoshiro authors recommend.
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform integer in 0..<upperBound.
    public mutating func nextInt(below upperBound: Int) -> Int {
        Int.random(in: 0..<upperBound, using: &self)
    }

    /// Standard normal sample (Box–Muller, both outputs used).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1: Double
        repeat { u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) } while u1 <= 0
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2 * log(u1)).squareRoot()
        spareNormal = Float(radius * sin(2 * Double.pi * u2))
        return Float(radius * cos(2 * Double.pi * u2))
    }

    /// A new generator derived from this one, for an independent stream (e.g. a worker thread).
    public mutating func fork() -> RandomGenerator {
        RandomGenerator(seed: next())
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

import Foundation

/// A generator shared by reference: a model's dropout and drop-path layers all draw from one
/// source, so the trainer can save and restore a single state for exact resumption.
public final class RandomSource {
    public var generator: RandomGenerator

    public init(seed: UInt64) {
        generator = RandomGenerator(seed: seed)
    }
}
