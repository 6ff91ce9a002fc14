// Inverted dropout (kept elements scaled by 1/(1−p), so evaluation needs no rescaling) and
// stochastic depth (timm's drop_path with scale_by_keep=True: one keep/drop draw per sample
// along axis 0). Both draw their mask from the caller's generator, in element order, before
// any parallel work, so a seed reproduces the mask exactly.

extension Tensor {
    /// Zeroes each element with probability `probability` and scales survivors by 1/(1−p).
    /// With p == 0 the tensor itself is returned (identity, nothing drawn from `rng`).
    public func dropout(probability: Float, rng: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) is outside [0, 1]")
        if probability == 0 { return self }
        let keepScale: Float = probability < 1 ? 1 / (1 - probability) : 0
        var mask = [Float](repeating: 0, count: count)
        for i in 0..<count { mask[i] = rng.nextFloat() < probability ? 0 : keepScale }
        return applyMask(mask, run: 1)
    }

    /// Stochastic depth: each sample (index along axis 0) is kept with probability 1−p and then
    /// scaled by 1/(1−p), or zeroed whole. With p == 0 the tensor itself is returned.
    public func dropPath(probability: Float, rng: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropPath probability \(probability) is outside [0, 1]")
        precondition(rank >= 1, "dropPath needs a batch axis, got shape \(shape)")
        if probability == 0 { return self }
        let keepScale: Float = probability < 1 ? 1 / (1 - probability) : 0
        let samples = shape[0]
        var mask = [Float](repeating: 0, count: samples)
        for i in 0..<samples { mask[i] = rng.nextFloat() < probability ? 0 : keepScale }
        return applyMask(mask, run: samples == 0 ? 1 : count / samples)
    }

    /// y[i] = x[i] · mask[i / run]; the backward multiplies by the same mask.
    private func applyMask(_ mask: [Float], run: Int) -> Tensor {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(count) { range in
                    for i in range { o[i] = x[i] * mask[i / run] }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.withGradBuffer { gx in
                for i in 0..<gx.count { gx[i] += g[i] * mask[i / run] }
            }
        }
        return result
    }
}
