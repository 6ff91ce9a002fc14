// GELU in its exact erf form, y = x·Φ(x), as PyTorch's nn.GELU() default that timm's ViT MLP uses
// (not the tanh approximation). Derivative: Φ(x) + x·φ(x), with φ the standard normal density.

import Foundation

extension Tensor {
    /// Gaussian error linear unit, exact form: `0.5 · x · (1 + erf(x / √2))`.
    public func gelu() -> Tensor {
        let invSqrt2: Float = 0.707_106_781_186_547_6
        let invSqrt2Pi: Float = 0.398_942_280_401_432_7
        return unary({ x in 0.5 * x * (1 + Foundation.erf(x * invSqrt2)) },
                     derivative: { x, _ in
                         let cdf = 0.5 * (1 + Foundation.erf(x * invSqrt2))
                         let pdf = invSqrt2Pi * Foundation.exp(-0.5 * x * x)
                         return cdf + x * pdf
                     })
    }
}
