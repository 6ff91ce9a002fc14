// timm's MLP with exact GELU and no dropout between the layers, fc2(GELU(fc1(x))), as one op
// that saves only x and the pre-activation. The unfused composition keeps the hidden
// activation GELU(pre) [R, H] on the tape as fc2's input, for fc2's dW; here the backward
// recomputes it from pre into a scratch buffer (one elementwise pass, the forward's kernel, so
// the same values), uses it and frees it: one [B·T, 4D] fewer alive per block. It may also end
// in the block's residual join (see ResidualBranchOp.swift).
// Legend: R rows (B·T), I inputs (D), H hidden (4D), O outputs (D).

extension Tensor {
    /// fc2(GELU(fc1(x))) for x [R, I], fc1 [H, I] + [H], fc2 [O, H] + [O]? → [R, O], optionally
    /// joined to the residual stream. Same values and gradients as
    /// `linear(linearGELU(x, fc1…), fc2…)` (then `residual + dropPath(…)`), which the tests check.
    public static func mlpGELU(_ x: Tensor, fc1Weight: Tensor, fc1Bias: Tensor, fc2Weight: Tensor, fc2Bias: Tensor?,
                               joining join: ResidualJoin? = nil) -> Tensor {
        precondition(x.rank == 2 && fc1Weight.rank == 2 && fc2Weight.rank == 2 && x.shape[1] == fc1Weight.shape[1]
                     && fc1Bias.shape == [fc1Weight.shape[0]] && fc2Weight.shape[1] == fc1Weight.shape[0],
                     "mlpGELU needs x [R, I], fc1 [H, I] + [H], fc2 [O, H], got \(x.shape), \(fc1Weight.shape), "
                     + "\(fc1Bias.shape), \(fc2Weight.shape)")
        let (rows, inputs, hidden, outputs) = (x.shape[0], x.shape[1], fc1Weight.shape[0], fc2Weight.shape[0])
        if let fc2Bias {
            precondition(fc2Bias.shape == [outputs], "mlpGELU fc2 bias \(fc2Bias.shape) does not match \(fc2Weight.shape)")
        }
        if let join {
            precondition(join.residual.shape == [rows, outputs],
                         "residual \(join.residual.shape) does not match the MLP output [\(rows), \(outputs)]")
        }
        let parents = (join.map { [$0.residual] } ?? []) + [x, fc1Weight, fc1Bias, fc2Weight] + (fc2Bias.map { [$0] } ?? [])
        // pre [R, H] = x·fc1ᵀ + b1, kept for GELU′ and the recomputation when there will be a backward.
        let keepsPreActivation = Tensor.willRecord(parents: parents)
        var preActivation = keepsPreActivation
            ? uninitializedProductBuffer(rows: rows, inputs: inputs, outputs: hidden) : []
        var out: [Float] = []   // [R, O]
        x.data.withUnsafeBufferPointer { a in
            // GELU(pre) [R, H], only for the duration of fc2's GEMM; without a backward, pre is
            // not kept and GELU is applied in place.
            withScratch(count: rows * hidden) { activation in
                if inputs == 0 { activation.initialize(repeating: 0, count: rows * hidden) }   // empty GEMM
                if keepsPreActivation {
                    preActivation.withUnsafeMutableBufferPointer { pre in
                        affineGELU(a.baseAddress!, rows: rows, weight: fc1Weight, bias: fc1Bias,
                                   preActivation: pre.baseAddress!, activation: activation)
                    }
                } else {
                    affineGELU(a.baseAddress!, rows: rows, weight: fc1Weight, bias: fc1Bias,
                               preActivation: activation, activation: activation)
                }
                out = affineRows(activation, rows: rows, inputs: hidden, weight: fc2Weight, bias: fc2Bias, joining: join)
            }
        }
        let result = Tensor(shape: [rows, outputs], data: out)
        Tensor.record(result, parents: parents) { g in
            let dOut = join?.backward(g) ?? g      // d fc2 output [R, O]
            let needsHidden = x.requiresGrad || fc1Weight.requiresGrad || fc1Bias.requiresGrad
            guard needsHidden || fc2Weight.requiresGrad || fc2Bias?.requiresGrad == true else { return }
            dOut.withUnsafeBufferPointer { dyBuffer in
                let dy = dyBuffer.baseAddress!
                preActivation.withUnsafeBufferPointer { preBuffer in
                    let pre = preBuffer.baseAddress!
                    // fc2's parameters, with GELU(pre) recomputed for dW2 and freed straight after.
                    if fc2Weight.requiresGrad {
                        withScratch(count: rows * hidden) { activation in
                            Tensor.gelu(pre, count: rows * hidden, into: activation)
                            linearParameterBackward(dy, x: activation, rows: rows, weight: fc2Weight, bias: fc2Bias)
                        }
                    } else {
                        linearParameterBackward(dy, x: pre, rows: rows, weight: fc2Weight, bias: fc2Bias)
                    }
                    guard needsHidden else { return }
                    // d pre [R, H] = (dy · fc2) · GELU′(pre): the factor applied in the GEMM's store,
                    // while each panel is in cache (GEMMEpilogue), then fc1's backward.
                    withScratch(count: rows * hidden) { dHidden in
                        if outputs == 0 { dHidden.initialize(repeating: 0, count: rows * hidden) }   // empty GEMM
                        fc2Weight.data.withUnsafeBufferPointer { w in
                            BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: hidden, k: outputs,
                                       a: dy, b: w.baseAddress!, c: dHidden,
                                       epilogue: GEMMEpilogue(geluDerivativeOf: pre, derivativeStride: hidden))
                        }
                        linearBackward(dHidden, x: x, weight: fc1Weight, bias: fc1Bias)
                    }
                }
            }
        }
        return result
    }

    /// `body` with an uninitialised heap buffer of `count` floats, freed when it returns.
    private static func withScratch(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        defer { buffer.deallocate() }
        body(buffer)
    }
}
