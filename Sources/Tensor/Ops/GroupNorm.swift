// Group normalisation over [N, C, H, W] (any trailing spatial axes), as torch.nn.GroupNorm:
// channels split into G groups; each (image, group) is normalised over its C/G·H·W values, which
// are contiguous in NCHW, so each is one "row" as in LayerNorm; the affine part is per channel.
// Legend: L = C/G·H·W values per row, N·G rows, saved mean and rstd per row for the backward.

extension Tensor {
    /// Group norm with `groups` groups and per-channel `weight`/`bias` [C].
    public func groupNorm(groups: Int, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2 && groups > 0 && shape[1] % groups == 0,
                     "groupNorm needs input [N, C, ...] with C divisible by \(groups) groups, got \(shape)")
        let n = shape[0], c = shape[1], spatial = shape[2...].reduce(1, *)
        precondition(weight.shape == [c] && bias.shape == [c],
                     "groupNorm weight \(weight.shape) / bias \(bias.shape) do not match input \(shape)")
        let perGroup = c / groups, length = perGroup * spatial, rows = n * groups
        var means = [Float](repeating: 0, count: rows)   // [N·G]
        var rstds = [Float](repeating: 0, count: rows)   // [N·G]
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                means.withUnsafeMutableBufferPointer { meanOut in
                    rstds.withUnsafeMutableBufferPointer { rstdOut in
                        Parallel.forRanges(rows, costPerItem: 4 * length) { range in
                            for row in range {
                                let xr = x.baseAddress! + row * length, yr = o.baseAddress! + row * length
                                var sum: Double = 0
                                for j in 0..<length { sum += Double(xr[j]) }
                                let mean = Float(sum / Double(length))
                                var sq: Double = 0
                                for j in 0..<length { let t = xr[j] - mean; sq += Double(t * t) }
                                let rstd = Float(1 / (sq / Double(length) + Double(eps)).squareRoot())
                                let firstChannel = (row % groups) * perGroup
                                for k in 0..<perGroup {
                                    let ch = firstChannel + k
                                    let scale = rstd * weight.data[ch], shift = bias.data[ch]
                                    for s in 0..<spatial {
                                        let j = k * spatial + s
                                        yr[j] = (xr[j] - mean) * scale + shift
                                    }
                                }
                                meanOut[row] = mean
                                rstdOut[row] = rstd
                            }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input, weight, bias]) { g in
            if weight.requiresGrad || bias.requiresGrad {
                var dw = [Float](repeating: 0, count: c), db = [Float](repeating: 0, count: c)
                g.withUnsafeBufferPointer { dy in
                    input.data.withUnsafeBufferPointer { x in
                        for image in 0..<n {
                            for ch in 0..<c {
                                let row = image * groups + ch / perGroup
                                let base = (image * c + ch) * spatial
                                var a: Float = 0, b: Float = 0
                                for s in 0..<spatial {
                                    a += dy[base + s]
                                    b += dy[base + s] * (x[base + s] - means[row]) * rstds[row]
                                }
                                db[ch] += a
                                dw[ch] += b
                            }
                        }
                    }
                }
                if weight.requiresGrad { weight.accumulateGrad(dw) }
                if bias.requiresGrad { bias.accumulateGrad(db) }
            }
            guard input.requiresGrad else { return }
            // Per row, as LayerNorm: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = g·weight[channel].
            input.withGradBuffer { dx in
                g.withUnsafeBufferPointer { dy in
                    input.data.withUnsafeBufferPointer { x in
                        Parallel.forRanges(rows, costPerItem: 6 * length) { range in
                            for row in range {
                                let base = row * length
                                let mean = means[row], rstd = rstds[row]
                                let firstChannel = (row % groups) * perGroup
                                var meanD: Float = 0, meanDX: Float = 0
                                for k in 0..<perGroup {
                                    let w = weight.data[firstChannel + k]
                                    for s in 0..<spatial {
                                        let j = base + k * spatial + s
                                        let d = dy[j] * w
                                        meanD += d
                                        meanDX += d * (x[j] - mean) * rstd
                                    }
                                }
                                meanD /= Float(length)
                                meanDX /= Float(length)
                                for k in 0..<perGroup {
                                    let w = weight.data[firstChannel + k]
                                    for s in 0..<spatial {
                                        let j = base + k * spatial + s
                                        let xhat = (x[j] - mean) * rstd
                                        dx[j] += rstd * (dy[j] * w - meanD - xhat * meanDX)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
