// The fused ops behind Linear: y = x·Wᵀ + b in one GEMM (the output is pre-filled with
// the bias rows and the GEMM adds into it), y = GELU(x·Wᵀ + b) for the MLP's fc1 (bias and GELU
// in one pass after the GEMM), and a backward that produces dx, dW and db without the broadcast
// machinery. Legend: R rows (all leading axes folded), I inputs, O outputs.

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

    /// gelu(x [R, I] · weight [O, I]ᵀ + bias [O]) → [R, O]: timm's fc1 → GELU, fused. The GEMM
    /// writes x·Wᵀ, then one pass adds the bias and applies GELU, keeping the biased
    /// pre-activation for the backward; `linear` followed by `gelu` would pre-fill the output
    /// with bias rows and then make a second pass. Same values as `linear(...).gelu()`.
    public static func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1] && bias.shape == [weight.shape[0]],
                     "linearGELU needs x [R, I], weight [O, I], bias [O], got \(x.shape), \(weight.shape), \(bias.shape)")
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        // Both fully written below (an empty GEMM, inputs == 0, needs the zero fill).
        var preActivation = inputs == 0
            ? [Float](repeating: 0, count: rows * outputs)
            : [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }
        var out = [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }
        preActivation.withUnsafeMutableBufferPointer { pre in
            x.data.withUnsafeBufferPointer { a in
                weight.data.withUnsafeBufferPointer { w in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                               a: a.baseAddress!, b: w.baseAddress!, c: pre.baseAddress!)
                }
            }
            out.withUnsafeMutableBufferPointer { o in
                bias.data.withUnsafeBufferPointer { b in
                    Tensor.addBiasAndGELU(pre.baseAddress!, bias: b.baseAddress!, rows: rows, columns: outputs,
                                          output: o.baseAddress!)
                }
            }
        }
        let result = Tensor(shape: [rows, outputs], data: out)
        Tensor.record(result, parents: [x, weight, bias]) { g in
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

    /// x [R, I] · weight [O, I]ᵀ + bias [O] → [R, O] as a plain array: the output is pre-filled
    /// with the bias rows and the GEMM adds into it (beta 1), so bias and product take one pass.
    /// The fused ops that end in a Linear (the MLP, a branch plus residual) share it with
    /// `linear`, which keeps their values bit-identical to the unfused composition.
    static func affineRows(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: Tensor, bias: Tensor?) -> [Float] {
        let outputs = weight.shape[0]
        // [R, O]: every element is written (bias rows, or the GEMM with beta 0), so no zero fill,
        // except when there is no bias and no inputs (an empty GEMM may leave C untouched).
        var out = bias == nil && inputs == 0
            ? [Float](repeating: 0, count: rows * outputs)
            : [Float](unsafeUninitializedCapacity: rows * outputs) { _, n in n = rows * outputs }
        out.withUnsafeMutableBufferPointer { o in
            if let bias {
                bias.data.withUnsafeBufferPointer { b in
                    Parallel.forRanges(rows, costPerItem: outputs) { range in
                        for r in range { (o.baseAddress! + r * outputs).update(from: b.baseAddress!, count: outputs) }
                    }
                }
            }
            weight.data.withUnsafeBufferPointer { w in
                BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                           a: x, b: w.baseAddress!, beta: bias == nil ? 0 : 1, c: o.baseAddress!)
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
                    for r in 0..<rows {
                        let row = dy + r * outputs
                        for j in columns { db[j] += row[j] }
                    }
                }
            }
        }
    }
}
