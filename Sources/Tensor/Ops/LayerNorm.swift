// Layer normalisation over the last axis, fused as in llm.c: the forward saves each row's mean
// and reciprocal standard deviation (rstd) so the backward needs no second statistics pass.
// Legend: R rows (all leading axes together), D the normalised (last) axis; weight, bias [D].
// Variance is the biased one, as torch.nn.LayerNorm.

import Foundation

extension Tensor {
    /// (x − mean) / √(var + eps) · weight + bias over the last axis. `weight`/`bias` may be nil
    /// (no affine part, as `elementwise_affine=False`). timm's ViT uses eps 1e-6.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-6) -> Tensor {
        precondition(rank >= 1, "layerNorm needs rank ≥ 1, got shape \(shape)")
        let d = shape[rank - 1]
        if let w = weight {
            precondition(w.shape == [d], "layerNorm weight shape \(w.shape) does not match input shape \(shape)")
        }
        if let b = bias {
            precondition(b.shape == [d], "layerNorm bias shape \(b.shape) does not match input shape \(shape)")
        }
        let rows = d == 0 ? 0 : count / d
        let n = count
        var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }   // [R, D], all written below
        var means = [Float](repeating: 0, count: rows)    // [R]
        var rstds = [Float](repeating: 0, count: rows)    // [R]
        let w = weight?.data, b = bias?.data
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                means.withUnsafeMutableBufferPointer { meanOut in
                    rstds.withUnsafeMutableBufferPointer { rstdOut in
                        Parallel.forRanges(rows, costPerItem: d * 4) { range in
                            for r in range {
                                let xr = x.baseAddress! + r * d, yr = o.baseAddress! + r * d
                                var sum: Float = 0
                                for j in 0..<d { sum += xr[j] }
                                let mean = sum / Float(d)
                                var sq: Float = 0
                                for j in 0..<d { let t = xr[j] - mean; sq += t * t }
                                let rstd = 1 / (sq / Float(d) + eps).squareRoot()
                                for j in 0..<d {
                                    var v = (xr[j] - mean) * rstd
                                    if let w { v *= w[j] }
                                    if let b { v += b[j] }
                                    yr[j] = v
                                }
                                meanOut[r] = mean
                                rstdOut[r] = rstd
                            }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        let parents = [input] + [weight, bias].compactMap { $0 }
        Tensor.record(result, parents: parents) { g in
            // dinp = rstd · (dnorm − mean(dnorm) − x̂ · mean(dnorm · x̂)), with dnorm = g · weight.
            if input.requiresGrad {
                input.withGradBuffer { dinp in
                    g.withUnsafeBufferPointer { dout in
                        input.data.withUnsafeBufferPointer { x in
                            Parallel.forRanges(rows, costPerItem: d * 6) { range in
                                for r in range {
                                    let xr = x.baseAddress! + r * d, gr = dout.baseAddress! + r * d
                                    let dr = dinp.baseAddress! + r * d
                                    let mean = means[r], rstd = rstds[r]
                                    var dnormMean: Float = 0, dnormNormMean: Float = 0
                                    for j in 0..<d {
                                        let dnorm = w.map { $0[j] * gr[j] } ?? gr[j]
                                        dnormMean += dnorm
                                        dnormNormMean += dnorm * (xr[j] - mean) * rstd
                                    }
                                    dnormMean /= Float(d)
                                    dnormNormMean /= Float(d)
                                    for j in 0..<d {
                                        let dnorm = w.map { $0[j] * gr[j] } ?? gr[j]
                                        let norm = (xr[j] - mean) * rstd
                                        dr[j] += (dnorm - dnormMean - norm * dnormNormMean) * rstd
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // dweight = Σ_rows g · x̂, dbias = Σ_rows g: parallel over column blocks, so each
            // thread owns its columns and no partial sums need merging.
            let needWeight = weight?.requiresGrad == true, needBias = bias?.requiresGrad == true
            guard needWeight || needBias else { return }
            var dweight = [Float](repeating: 0, count: d)
            var dbias = [Float](repeating: 0, count: d)
            dweight.withUnsafeMutableBufferPointer { dw in
                dbias.withUnsafeMutableBufferPointer { db in
                    g.withUnsafeBufferPointer { dout in
                        input.data.withUnsafeBufferPointer { x in
                            Parallel.forRanges(d, costPerItem: rows * 3) { columns in
                                for r in 0..<rows {
                                    let xr = x.baseAddress! + r * d, gr = dout.baseAddress! + r * d
                                    let mean = means[r], rstd = rstds[r]
                                    for j in columns {
                                        dw[j] += gr[j] * (xr[j] - mean) * rstd
                                        db[j] += gr[j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if needWeight { weight!.accumulateGrad(dweight) }
            if needBias { bias!.accumulateGrad(dbias) }
        }
        return result
    }
}
