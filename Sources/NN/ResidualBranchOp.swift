// A block branch that ends in a Linear, added to the residual stream in the same op:
//   out = residual + drop_path(x·Wᵀ + b)     (timm: x = x + drop_path(attn.proj(...)))
// The unfused composition keeps two [R, O] tensors alive on the tape until the backward, the
// Linear's output and its drop_path copy, though neither backward reads them (add and
// drop_path need only the upstream gradient and the mask). Here the GEMM's store (GEMMEpilogue)
// writes the sum straight into the output, so per block and branch one [B·T, D] fewer stays
// alive, and two passes over it are saved. Legend: R rows (B·T), I inputs, O outputs, S samples (B).

/// How a branch joins the residual stream: `residual + factor[sample] · branch`, with one
/// drop-path factor per sample (0, or 1/(1−p)), or the plain sum when `sampleFactors` is nil.
public struct ResidualJoin {
    public let residual: Tensor          // [R, O]
    public let sampleFactors: [Float]?   // [S], R divisible by S

    public init(residual: Tensor, sampleFactors: [Float]?) {
        precondition(residual.rank == 2, "ResidualJoin needs a residual [R, O], got \(residual.shape)")
        if let sampleFactors {
            precondition(!sampleFactors.isEmpty && residual.shape[0] % sampleFactors.count == 0,
                         "\(sampleFactors.count) drop-path factors do not divide \(residual.shape[0]) rows")
        }
        self.residual = residual
        self.sampleFactors = sampleFactors
    }

    /// The drop-path factor of every row [R] (each sample's factor repeated over its rows), or nil
    /// for the plain sum: the GEMM epilogue's row scales. The epilogue computes
    /// `residual + factor · branch` with the same roundings as `residual + dropPath(branch)`.
    func rowFactors() -> [Float]? {
        guard let factors = sampleFactors else { return nil }
        let rowsPerSample = residual.shape[0] / factors.count
        return factors.flatMap { repeatElement($0, count: rowsPerSample) }
    }

    /// The backward of the join for upstream dy [R, O]: adds dy into the residual's gradient (as
    /// the add's backward does) and returns the branch's gradient, dy scaled by its sample's factor
    /// (dy itself, shared, without drop path).
    func backward(_ dy: [Float]) -> [Float] {
        if residual.requiresGrad { residual.accumulateGrad(dy) }
        guard let factors = sampleFactors else { return dy }
        let columns = residual.shape[1]
        let rowsPerSample = residual.shape[0] / factors.count
        var scaled = [Float](unsafeUninitializedCapacity: dy.count) { _, n in n = dy.count }   // all written below
        scaled.withUnsafeMutableBufferPointer { out in
            dy.withUnsafeBufferPointer { g in
                Parallel.forRanges(residual.shape[0], costPerItem: columns) { rows in
                    for row in rows {
                        let scale = factors[row / rowsPerSample]
                        let o = out.baseAddress! + row * columns, d = g.baseAddress! + row * columns
                        for j in 0..<columns { o[j] = d[j] * scale }
                    }
                }
            }
        }
        return scaled
    }
}

extension Tensor {
    /// join.residual + drop_path(x [R, I] · weight [O, I]ᵀ + bias [O]) → [R, O]. Same values as
    /// `join.residual + linear(x, …).dropPath(…)` with the same factors, which the tests check.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, joining join: ResidualJoin) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                     "linear needs x [R, I] and weight [O, I], got \(x.shape) and \(weight.shape)")
        precondition(join.residual.shape == [x.shape[0], weight.shape[0]],
                     "residual \(join.residual.shape) does not match the linear output [\(x.shape[0]), \(weight.shape[0])]")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "linear bias \(bias.shape) does not match weight \(weight.shape)")
        }
        let out = x.data.withUnsafeBufferPointer { a in
            affineRows(a.baseAddress!, rows: x.shape[0], inputs: x.shape[1], weight: weight, bias: bias, joining: join)
        }
        let result = Tensor(shape: join.residual.shape, data: out)
        Tensor.record(result, parents: [join.residual, x, weight] + (bias.map { [$0] } ?? [])) { g in
            let dBranch = join.backward(g)
            guard x.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true else { return }
            dBranch.withUnsafeBufferPointer { dy in
                linearBackward(dy.baseAddress!, x: x, weight: weight, bias: bias)
            }
        }
        return result
    }
}
