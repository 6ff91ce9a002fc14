// GELU in its exact erf form, y = x·Φ(x), as PyTorch's nn.GELU() default that timm's ViT MLP uses
// (not the tanh approximation). Derivative: Φ(x) + x·φ(x), with φ the standard normal density.
// The loops are CKernels' row kernels (vt_gelu*: A&S 7.1.26 erf with one exp shared by Φ and φ,
// vectorised per CPU level); libm's erff made GELU cost nearly half as much as a block's GEMMs.

import CKernels
extension Tensor {
    /// Gaussian error linear unit, exact form: `0.5 · x · (1 + erf(x / √2))`.
    public func gelu() -> Tensor {
        let n = count
        var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }   // all written below
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Tensor.gelu(x.baseAddress!, count: n, into: o.baseAddress!)
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.withGradBuffer(assigningIfFresh: { dx, fresh in
                g.withUnsafeBufferPointer { dy in
                    input.data.withUnsafeBufferPointer { x in
                        Tensor.geluBackward(x.baseAddress!, upstream: dy.baseAddress!, count: dx.count,
                                     into: dx.baseAddress!, accumulate: !fresh)
                    }
                }
            })
        }
        return result
    }

    /// y[i] = GELU(x[i]) over raw buffers, split across threads: the same kernel as `gelu()`
    /// and as the fused fc1 epilogue, so an op that recomputes GELU in its backward gets the
    /// very values its forward used.
    public static func gelu(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(count, costPerItem: 16) { range in
            vt_gelu(x + range.lowerBound, y + range.lowerBound, range.count)
        }
    }

    /// dx[i] (+)= dy[i] · GELU′(x[i]) with GELU′(x) = Φ(x) + x·φ(x); assigns unless `accumulate`.
    public static func geluBackward(_ x: UnsafePointer<Float>, upstream dy: UnsafePointer<Float>, count: Int,
                                    into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Parallel.forRanges(count, costPerItem: 16) { range in
            let i = range.lowerBound
            vt_gelu_backward(x + i, dy + i, dx + i, range.count, accumulate ? 1 : 0)
        }
    }
}
