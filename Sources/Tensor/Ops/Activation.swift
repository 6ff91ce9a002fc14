// GELU in its exact erf form, y = x·Φ(x), as PyTorch's nn.GELU() default that timm's ViT MLP uses
// (not the tanh approximation). Derivative: Φ(x) + x·φ(x), with φ the standard normal density.
// Φ comes from Abramowitz & Stegun 7.1.26 (|erf error| ≤ 1.5e-7, below Float32's resolution of
// Φ near 1): its exp(−z²) with z = x/√2 is exactly φ's exp(−x²/2), so one exp serves both, and
// with FastMath.exp the loop has no library call and vectorises (libm's erff made GELU cost
// nearly half as much as a ViT block's GEMMs).

extension Tensor {
    /// Gaussian error linear unit, exact form: `0.5 · x · (1 + erf(x / √2))`.
    public func gelu() -> Tensor {
        let n = count
        var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }   // all written below
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(count, costPerItem: 16) { range in
                    // Local base pointers: otherwise the store through `o` may alias the captured
                    // pointer itself, which is then reloaded every iteration and blocks vectorising.
                    let input = x.baseAddress!, output = o.baseAddress!
                    for i in range {
                        let v = input[i]
                        output[i] = v * Tensor.normalCDFAndDensity(v).cdf
                    }
                }
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

    /// dx[i] (+)= dy[i] · GELU′(x[i]) with GELU′(x) = Φ(x) + x·φ(x); assigns unless `accumulate`.
    public static func geluBackward(_ x: UnsafePointer<Float>, upstream dy: UnsafePointer<Float>, count: Int,
                                    into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Parallel.forRanges(count, costPerItem: 16) { range in
            for i in range {
                let v = x[i]
                let (cdf, pdf) = normalCDFAndDensity(v)
                let local = dy[i] * (cdf + v * pdf)
                dx[i] = accumulate ? dx[i] + local : local
            }
        }
    }

    /// The epilogue of a fused Linear → GELU over a [rows, columns] GEMM output `pre`: adds the
    /// bias row in place (pre becomes the pre-activation the backward needs) and writes
    /// GELU(pre) to `output`, in one sweep over the rows (each row read from memory once).
    public static func addBiasAndGELU(_ pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                      rows: Int, columns: Int, output: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(rows, costPerItem: 16 * columns) { range in
            for r in range {
                let p = pre + r * columns, o = output + r * columns
                // Two simple loops over the row (it stays in L1) rather than one that stores to
                // both: each has one store stream and vectorises.
                for j in 0..<columns { p[j] += bias[j] }
                for j in 0..<columns { o[j] = p[j] * normalCDFAndDensity(p[j]).cdf }
            }
        }
    }

    /// Φ(x) and φ(x) for the standard normal, sharing one exp.
    @inline(__always)
    static func normalCDFAndDensity(_ x: Float) -> (cdf: Float, pdf: Float) {
        let invSqrt2: Float = 0.707_106_781_186_547_6
        let invSqrt2Pi: Float = 0.398_942_280_401_432_7
        let z = Swift.abs(x) * invSqrt2
        let e = FastMath.exp(-z * z)                    // = exp(−x²/2)
        // A&S 7.1.26: erf(z) = 1 − t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−z²), t = 1/(1 + p·z).
        let t = 1 / (1 as Float).addingProduct(0.327_591_1, z)
        // Horner in fused multiply-adds, as FastMath.exp.
        var poly: Float = 1.061_405_429
        poly = (-1.453_152_027 as Float).addingProduct(poly, t)
        poly = (1.421_413_741 as Float).addingProduct(poly, t)
        poly = (-0.284_496_736 as Float).addingProduct(poly, t)
        poly = (0.254_829_592 as Float).addingProduct(poly, t)
        poly *= t
        let erfAbs = (1 as Float).addingProduct(-poly, e)
        let erf = x < 0 ? -erfAbs : erfAbs
        return (0.5 * (1 + erf), invSqrt2Pi * e)
    }
}
