// The fused ops behind Linear: y = x·Wᵀ + b in one GEMM (the bias added in the GEMM's store,
// GEMMEpilogue), y = GELU(x·Wᵀ + b) for the MLP's fc1 (bias and GELU in the store too), and a
// backward that produces dx, dW and db without the broadcast machinery.
// Legend: R rows (all leading axes folded), I inputs, O outputs.

import CKernels

extension Tensor {
    /// x [R, I] · weight [O, I]ᵀ + bias [O] → [R, O]. Same values as
    /// `x.matmul(weight, transposeOther: true) + bias`, which the tests check it against.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                     "linear needs x [R, I] and weight [O, I], got \(x.shape) and \(weight.shape)")
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        if let bias {
            precondition(bias.shape == [outputs], "linear bias \(bias.shape) does not match weight \(weight.shape)")
        }
        let out = x.data.withUnsafeBufferPointer { a in
            affineRows(a.baseAddress!, rows: rows, inputs: inputs, weight: weight, bias: bias)
        }
        let result = Tensor(shape: [rows, outputs], data: out)
        Tensor.record(result, parents: bias.map { [x, weight, $0] } ?? [x, weight]) { g in
            g.withUnsafeBufferPointer { dy in
                linearBackward(dy.baseAddress!, x: x, weight: weight, bias: bias)
            }
        }
        return result
    }

    /// gelu(x [R, I] · weight [O, I]ᵀ + bias [O]) → [R, O]: timm's fc1 → GELU, fused. The GEMM's
    /// store adds the bias and applies GELU (GEMMEpilogue), keeping the biased pre-activation for
    /// the backward only when there will be one. Same values as `linear(...).gelu()`.
    public static func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1] && bias.shape == [weight.shape[0]],
                     "linearGELU needs x [R, I], weight [O, I], bias [O], got \(x.shape), \(weight.shape), \(bias.shape)")
        let (rows, outputs) = (x.shape[0], weight.shape[0])
        let parents = [x, weight, bias]
        guard Tensor.willRecord(parents: parents) else {    // evaluation, frozen layers: GELU in place
            var out = uninitializedProductBuffer(rows: rows, inputs: x.shape[1], outputs: outputs)
            out.withUnsafeMutableBufferPointer { o in
                x.data.withUnsafeBufferPointer { a in
                    affineGELU(a.baseAddress!, rows: rows, weight: weight, bias: bias, preActivation: o.baseAddress!,
                               activation: o.baseAddress!)
                }
            }
            return Tensor(shape: [rows, outputs], data: out)
        }
        var preActivation = uninitializedProductBuffer(rows: rows, inputs: x.shape[1], outputs: outputs)
        var out = [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }   // all written
        preActivation.withUnsafeMutableBufferPointer { pre in
            out.withUnsafeMutableBufferPointer { o in
                x.data.withUnsafeBufferPointer { a in
                    affineGELU(a.baseAddress!, rows: rows, weight: weight, bias: bias, preActivation: pre.baseAddress!,
                               activation: o.baseAddress!)
                }
            }
        }
        let result = Tensor(shape: [rows, outputs], data: out)
        Tensor.record(result, parents: parents) { g in
            // d(pre) = g · GELU′(pre), then the Linear backward from there.
            var dPre = [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }
            dPre.withUnsafeMutableBufferPointer { d in
                g.withUnsafeBufferPointer { dy in
                    preActivation.withUnsafeBufferPointer { pre in
                        Tensor.geluBackward(pre.baseAddress!, upstream: dy.baseAddress!, count: rows * outputs,
                                            into: d.baseAddress!, accumulate: false)
                    }
                }
                linearBackward(UnsafePointer(d.baseAddress!), x: x, weight: weight, bias: bias)
            }
        }
        return result
    }

    /// preActivation [R, O] = x [R, I] · weight [O, I]ᵀ + bias, activation [R, O] = GELU(preActivation),
    /// both written by one GEMM and its epilogue; activation may be preActivation (GELU in place).
    static func affineGELU(_ x: UnsafePointer<Float>, rows: Int, weight: Tensor, bias: Tensor,
                           preActivation: UnsafeMutablePointer<Float>, activation: UnsafeMutablePointer<Float>) {
        let (inputs, outputs) = (weight.shape[1], weight.shape[0])
        weight.data.withUnsafeBufferPointer { w in
            bias.data.withUnsafeBufferPointer { b in
                BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                           a: x, b: w.baseAddress!, c: preActivation,
                           epilogue: GEMMEpilogue(bias: b.baseAddress!, geluOutput: activation, geluStride: outputs))
            }
        }
    }

    /// An [R, O] buffer for a product's output: uninitialised, since the GEMM (beta 0) writes every
    /// element, except when there are no inputs (an empty GEMM may leave C untouched).
    static func uninitializedProductBuffer(rows: Int, inputs: Int, outputs: Int) -> [Float] {
        inputs == 0 ? [Float](repeating: 0, count: rows * outputs)
                    : [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }
    }

    /// x [R, I] · weight [O, I]ᵀ + bias [O] → [R, O] as a plain array, the bias added in the GEMM's
    /// store; with `join`, the store also scales the branch by its drop-path factor and adds the
    /// residual. The fused ops that end in a Linear (the MLP, a branch plus residual) share it
    /// with `linear`, which keeps their values bit-identical to the unfused composition.
    static func affineRows(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: Tensor, bias: Tensor?,
                           joining join: ResidualJoin? = nil) -> [Float] {
        let outputs = weight.shape[0]
        var out = uninitializedProductBuffer(rows: rows, inputs: inputs, outputs: outputs)
        let rowFactors = join?.rowFactors()
        out.withUnsafeMutableBufferPointer { o in
            weight.data.withUnsafeBufferPointer { w in
                withOptionalBuffer(bias?.data) { b in
                    withOptionalBuffer(join?.residual.data) { residual in
                        withOptionalBuffer(rowFactors) { factors in
                            let epilogue = b == nil && residual == nil ? nil
                                : GEMMEpilogue(bias: b, residual: residual, residualStride: outputs, rowScale: factors)
                            BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                                       a: x, b: w.baseAddress!, c: o.baseAddress!, epilogue: epilogue)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Adds the gradients of y = x·Wᵀ + b for upstream dy [R, O] into x, weight and bias (those
    /// that require them): dx = dy·W, dW = dyᵀ·x, db = Σ_r dy.
    static func linearBackward(_ dy: UnsafePointer<Float>, x: Tensor, weight: Tensor, bias: Tensor?) {
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        if x.requiresGrad {            // dx [R, I] += dy [R, O] · W [O, I]
            weight.data.withUnsafeBufferPointer { w in
                x.withGradBuffer(assigningIfFresh: { dx, fresh in
                    if fresh && outputs == 0 { dx.initialize(repeating: 0) }   // an empty GEMM writes nothing
                    BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs,
                               a: dy, b: w.baseAddress!, beta: fresh ? 0 : 1, c: dx.baseAddress!)
                })
            }
        }
        x.data.withUnsafeBufferPointer { a in
            linearParameterBackward(dy, x: a.baseAddress!, rows: rows, weight: weight, bias: bias)
        }
    }

    /// The parameter half of the Linear backward, from raw buffers: dW [O, I] += dyᵀ [O, R] · x [R, I]
    /// when the weight requires it, db [O] += Σ_r dy[r, :] when the bias requires it.
    /// Raw x lets a fused op pass a row block it recomputed in the backward instead of saving it.
    static func linearParameterBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int,
                                        weight: Tensor, bias: Tensor?) {
        let (inputs, outputs) = (weight.shape[1], weight.shape[0])
        if weight.requiresGrad {
            weight.withGradBuffer { dw in
                BLAS.sgemm(transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows,
                           a: dy, b: x, beta: 1, c: dw.baseAddress!)
            }
        }
        if let bias, bias.requiresGrad {   // columns split across threads
            bias.withGradBuffer { db in
                Parallel.forRanges(outputs, costPerItem: rows) { columns in
                    vt_add_column_sums(dy, rows, outputs, db.baseAddress!, columns.lowerBound, columns.upperBound)
                }
            }
        }
    }
}
