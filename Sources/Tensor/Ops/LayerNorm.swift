// Layer normalisation over the last axis, fused as in llm.c: the forward saves each row's mean
// and reciprocal standard deviation (rstd) so the backward needs no second statistics pass.
// Legend: R rows (all leading axes together), D the normalised (last) axis; weight, bias [D].
// Variance is the biased one, as torch.nn.LayerNorm. The row loops are CKernels' vt_layernorm_*
// (vectorised per CPU level); the input gradient takes both of dnorm's means in one sweep.

import CKernels

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
        // Without an affine part the kernels take NULL (weight 1, bias 0).
        let w = weight?.data, b = bias?.data
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                means.withUnsafeMutableBufferPointer { meanOut in
                    rstds.withUnsafeMutableBufferPointer { rstdOut in
                        Tensor.withOptionalPointer(w) { scale in
                            Tensor.withOptionalPointer(b) { shift in
                                Parallel.forRanges(rows, costPerItem: d * 4) { range in
                                    let r = range.lowerBound
                                    vt_layernorm_forward(x.baseAddress! + r * d, scale, shift, o.baseAddress! + r * d,
                                                         meanOut.baseAddress! + r, rstdOut.baseAddress! + r,
                                                         range.count, d, eps)
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
                            means.withUnsafeBufferPointer { mean in
                                rstds.withUnsafeBufferPointer { rstd in
                                    Tensor.withOptionalPointer(w) { scale in
                                        Parallel.forRanges(rows, costPerItem: d * 6) { range in
                                            let r = range.lowerBound
                                            vt_layernorm_backward_input(
                                                x.baseAddress! + r * d, scale, dout.baseAddress! + r * d,
                                                mean.baseAddress! + r, rstd.baseAddress! + r, dinp.baseAddress! + r * d,
                                                range.count, d, fresh ? 0 : 1)
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
            var dweight = [Float](repeating: 0, count: needWeight ? d : 0)
            var dbias = [Float](repeating: 0, count: needBias ? d : 0)
            dweight.withUnsafeMutableBufferPointer { dw in
                dbias.withUnsafeMutableBufferPointer { db in
                    g.withUnsafeBufferPointer { dout in
                        input.data.withUnsafeBufferPointer { x in
                            means.withUnsafeBufferPointer { mean in
                                rstds.withUnsafeBufferPointer { rstd in
                                    Parallel.forRanges(d, costPerItem: rows * 3) { columns in
                                        vt_layernorm_backward_params(
                                            x.baseAddress!, dout.baseAddress!, mean.baseAddress!, rstd.baseAddress!,
                                            needWeight ? dw.baseAddress : nil, needBias ? db.baseAddress : nil,
                                            rows, d, columns.lowerBound, columns.upperBound)
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

    /// `body` with the array's base address, or with nil for a nil array (C's "absent" NULL).
    static func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
