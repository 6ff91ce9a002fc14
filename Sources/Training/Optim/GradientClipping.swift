// Clipping by global gradient norm (torch.nn.utils.clip_grad_norm_): every gradient is scaled
// by max_norm / (total_norm + 1e-6) when the total L2 norm exceeds max_norm.

import NN

public enum GradientClipping {
    /// The global L2 norm of the gradients of `parameters` (accumulated in Double).
    public static func globalNorm(_ parameters: [(path: String, tensor: Tensor)]) -> Double {
        var total: Double = 0
        for (_, p) in parameters {
            guard let g = p.grad else { continue }
            for v in g { total += Double(v) * Double(v) }
        }
        return total.squareRoot()
    }

    /// Scales the gradients down so their global norm is at most `maxNorm`; returns the norm
    /// before clipping.
    @discardableResult
    public static func clip(_ parameters: [(path: String, tensor: Tensor)], maxNorm: Double) -> Double {
        let norm = globalNorm(parameters)
        let scale = Float(maxNorm / (norm + 1e-6))
        if scale < 1 {
            for (_, p) in parameters where p.grad != nil {
                p.grad!.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] *= scale }
                }
            }
        }
        return norm
    }

    /// The first parameter whose gradient holds a NaN or an infinity.
    public static func firstNonFinite(_ parameters: [(path: String, tensor: Tensor)]) -> String? {
        parameters.first { $0.tensor.grad?.contains { !$0.isFinite } ?? false }?.path
    }
}
