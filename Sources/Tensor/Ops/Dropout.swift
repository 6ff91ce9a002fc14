// Inverted dropout (kept elements scaled by 1/(1−p), so evaluation needs no rescaling) and
// stochastic depth (timm's drop_path with scale_by_keep=True: one keep/drop draw per sample
// along axis 0). A mask takes one draw from the caller's generator as the seed of a
// counter-based stream (SplitMix64 of seed + i·γ), so element i's uniform depends only on the
// seed and i: masks are reproducible, independent of the thread count, and built in parallel.

extension Tensor {
    /// Zeroes each element with probability `probability` and scales survivors by 1/(1−p).
    /// With p == 0 the tensor itself is returned (identity, nothing drawn from `rng`).
    public func dropout(probability: Float, rng: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) is outside [0, 1]")
        if probability == 0 { return self }
        return applyMask(DropoutMask.make(count: count, probability: probability, rng: &rng), run: 1)
    }

    /// Stochastic depth: each sample (index along axis 0) is kept with probability 1−p and then
    /// scaled by 1/(1−p), or zeroed whole. With p == 0 the tensor itself is returned.
    public func dropPath(probability: Float, rng: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropPath probability \(probability) is outside [0, 1]")
        precondition(rank >= 1, "dropPath needs a batch axis, got shape \(shape)")
        if probability == 0 { return self }
        let samples = shape[0]
        let mask = Tensor.dropPathFactors(samples: samples, probability: probability, rng: &rng)
        return applyMask(mask, run: samples == 0 ? 1 : count / samples)
    }

    /// The per-sample factors `dropPath` multiplies by (0, or 1/(1−p) for a kept sample), drawn
    /// from `rng` exactly as `dropPath` draws them, for fused ops that apply stochastic depth
    /// themselves (a block's branch + residual) and must reproduce the same masks.
    public static func dropPathFactors(samples: Int, probability: Float, rng: inout RandomGenerator) -> [Float] {
        DropoutMask.make(count: samples, probability: probability, rng: &rng)
    }

    /// y[i] = x[i] · mask[i / run]; the backward multiplies by the same mask.
    private func applyMask(_ mask: [Float], run: Int) -> Tensor {
        // Every element is written, so no zero fill.
        var out = [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Tensor.scaleRuns(x.baseAddress!, by: mask, run: run, into: o.baseAddress!, accumulate: false)
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.withGradBuffer { gx in
                g.withUnsafeBufferPointer { dy in
                    Tensor.scaleRuns(dy.baseAddress!, by: mask, run: run, into: gx.baseAddress!, accumulate: true)
                }
            }
        }
        return result
    }

    /// y[s·run + j] (+)= x[s·run + j] · factors[s]: one factor per run of `run` elements, so the
    /// inner loop is a plain scaled copy (no per-element division) and vectorises.
    private static func scaleRuns(_ x: UnsafePointer<Float>, by factors: [Float], run: Int,
                                  into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        factors.withUnsafeBufferPointer { f in
            if run == 1 {    // dropout: one factor per element
                Parallel.forRanges(f.count) { range in
                    let factor = f.baseAddress!
                    if accumulate {
                        for i in range { y[i] += x[i] * factor[i] }
                    } else {
                        for i in range { y[i] = x[i] * factor[i] }
                    }
                }
                return
            }
            Parallel.forRanges(f.count, costPerItem: run) { runs in
                let factor = f.baseAddress!
                for s in runs {
                    let input = x + s * run, output = y + s * run, scale = factor[s]
                    if accumulate {
                        for j in 0..<run { output[j] += input[j] * scale }
                    } else {
                        for j in 0..<run { output[j] = input[j] * scale }
                    }
                }
            }
        }
    }
}

/// Dropout masks: element i is 0 with probability p, else 1/(1−p) (0 everywhere when p == 1).
enum DropoutMask {
    static func make(count: Int, probability: Float, rng: inout RandomGenerator) -> [Float] {
        let seed = rng.next()
        let keepScale: Float = probability < 1 ? 1 / (1 - probability) : 0
        var mask = [Float](repeating: 0, count: count)
        mask.withUnsafeMutableBufferPointer { m in
            Parallel.forRanges(count, costPerItem: 8) { range in
                let out = m.baseAddress!
                for i in range {
                    out[i] = uniform(seed: seed, index: i) < probability ? 0 : keepScale
                }
            }
        }
        return mask
    }

    /// Uniform in [0, 1) with 24 bits: SplitMix64's output for counter `index` (Steele et al. 2014).
    @inline(__always)
    static func uniform(seed: UInt64, index: Int) -> Float {
        var z = seed &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / 16_777_216.0)
    }
}
