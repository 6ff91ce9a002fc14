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
        // Without an affine part the weight is all ones and the bias all zeros.
        let w = weight?.data ?? [Float](repeating: 1, count: d)
        let b = bias?.data ?? [Float](repeating: 0, count: d)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                means.withUnsafeMutableBufferPointer { meanOut in
                    rstds.withUnsafeMutableBufferPointer { rstdOut in
                        w.withUnsafeBufferPointer { wp in
                            b.withUnsafeBufferPointer { bp in
                                Parallel.forRanges(rows, costPerItem: d * 4) { range in
                                    let scale = wp.baseAddress!, shift = bp.baseAddress!
                                    for r in range {
                                        let xr = x.baseAddress! + r * d, yr = o.baseAddress! + r * d
                                        let mean = RowMath.sum(xr, count: d) / Float(d)
                                        let variance = RowMath.squaredDeviation(xr, from: mean, count: d) / Float(d)
                                        let rstd = 1 / (variance + eps).squareRoot()
                                        for j in 0..<d { yr[j] = (xr[j] - mean) * rstd * scale[j] + shift[j] }
                                        meanOut[r] = mean
                                        rstdOut[r] = rstd
                                    }
                                }
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
                input.withGradBuffer(assigningIfFresh: { dinp, fresh in
                    g.withUnsafeBufferPointer { dout in
                        input.data.withUnsafeBufferPointer { x in
                            w.withUnsafeBufferPointer { wp in
                                Parallel.forRanges(rows, costPerItem: d * 6) { range in
                                    let scale = wp.baseAddress!
                                    // dnorm = g · weight for one row; each thread has its own.
                                    withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { dnormRow in
                                        let dnorm = dnormRow.baseAddress!
                                        for r in range {
                                            let xr = x.baseAddress! + r * d, gr = dout.baseAddress! + r * d
                                            let dr = dinp.baseAddress! + r * d
                                            let mean = means[r], rstd = rstds[r]
                                            for j in 0..<d { dnorm[j] = scale[j] * gr[j] }
                                            let dnormMean = RowMath.sum(dnorm, count: d) / Float(d)
                                            let dnormNormMean = rstd * RowMath.dot(dnorm, xr, centredOn: mean, count: d)
                                                / Float(d)
                                            for j in 0..<d {
                                                let norm = (xr[j] - mean) * rstd
                                                let local = (dnorm[j] - dnormMean - norm * dnormNormMean) * rstd
                                                dr[j] = fresh ? local : dr[j] + local
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                })
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
