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
                        Parallel.forRanges(dx.count, costPerItem: 16) { range in
                            let input = x.baseAddress!, upstream = dy.baseAddress!, grad = dx.baseAddress!
                            for i in range {
                                let v = input[i]
                                let (cdf, pdf) = Tensor.normalCDFAndDensity(v)
                                let local = upstream[i] * (cdf + v * pdf)
                                grad[i] = fresh ? local : grad[i] + local
                            }
                        }
                    }
                }
            })
        }
        return result
    }

    /// Φ(x) and φ(x) for the standard normal, sharing one exp.
    @inline(__always)
    static func normalCDFAndDensity(_ x: Float) -> (cdf: Float, pdf: Float) {
        let invSqrt2: Float = 0.707_106_781_186_547_6
        let invSqrt2Pi: Float = 0.398_942_280_401_432_7
        let z = Swift.abs(x) * invSqrt2
        let e = FastMath.exp(-z * z)                    // = exp(−x²/2)
        // A&S 7.1.26: erf(z) = 1 − t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−z²), t = 1/(1 + p·z).
        let t = 1 / (1 + 0.327_591_1 * z)
        let poly = t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741
                    + t * (-1.453_152_027 + t * 1.061_405_429))))
        let erfAbs = 1 - poly * e
        let erf = x < 0 ? -erfAbs : erfAbs
        return (0.5 * (1 + erf), invSqrt2Pi * e)
    }
}
