// Softmax cross-entropy on logits, fused: the forward keeps the softmax so the backward is
// just (softmax − target distribution) / N. Label smoothing matches
// torch.nn.functional.cross_entropy(label_smoothing: ε): loss = (1−ε)·NLL + ε·mean_c(−log p_c),
// i.e. the target distribution is (1−ε)·one-hot + ε/C.
// Shapes: logits [N, C], targets N class indices, result a scalar (mean over N).

import Foundation

extension Tensor {
    /// Mean softmax cross-entropy of `logits` [N, C] against class indices `targets` (N of them).
    public static func crossEntropy(logits: Tensor, targets: [Int], labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.rank == 2, "crossEntropy needs logits of shape [N, C], got \(logits.shape)")
        let n = logits.shape[0], c = logits.shape[1]
        precondition(targets.count == n,
                     "crossEntropy got \(targets.count) targets for logits of shape \(logits.shape)")
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                     "crossEntropy label smoothing \(labelSmoothing) is outside [0, 1]")
        for (row, t) in targets.enumerated() {
            precondition(t >= 0 && t < c,
                         "crossEntropy target \(t) at row \(row) is out of range for \(c) classes (logits \(logits.shape))")
        }
        let eps = labelSmoothing
        var probabilities = [Float](repeating: 0, count: n * c)   // [N, C] softmax, kept for backward
        var rowLoss = [Double](repeating: 0, count: n)
        probabilities.withUnsafeMutableBufferPointer { p in
            logits.data.withUnsafeBufferPointer { x in
                rowLoss.withUnsafeMutableBufferPointer { losses in
                    Parallel.forRanges(n, costPerItem: c * 8) { range in
                        for row in range {
                            let xr = x.baseAddress! + row * c
                            let (maximum, logTotal) = softmaxRow(xr, into: p.baseAddress! + row * c, count: c)
                            var sumLogP: Double = 0
                            for j in 0..<c { sumLogP += Double((xr[j] - maximum) - logTotal) }
                            let nll = -Double((xr[targets[row]] - maximum) - logTotal)
                            losses[row] = Double(1 - eps) * nll - Double(eps) * sumLogP / Double(c)
                        }
                    }
                }
            }
        }
        let loss = rowLoss.reduce(0, +) / Double(max(n, 1))
        let result = Tensor(Float(loss))
        Tensor.record(result, parents: [logits]) { g in
            let scale = g[0] / Float(max(n, 1))
            let off = eps / Float(c), on = 1 - eps + eps / Float(c)
            var gx = probabilities
            for row in 0..<n {
                let base = row * c
                for j in 0..<c { gx[base + j] = (gx[base + j] - off) * scale }
                gx[base + targets[row]] -= (on - off) * scale
            }
            logits.accumulateGrad(gx)
        }
        return result
    }

    /// Writes softmax(x) of one row into `p` and returns (max x, log Σ exp(x − max)), so callers
    /// read log p_j = (x_j − max) − log Σ, kept small so large logits lose no digits. Shared by
    /// the hard-label and the soft-target cross-entropy.
    static func softmaxRow(_ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, count c: Int)
        -> (maximum: Float, logTotal: Float) {
        var maximum = -Float.infinity
        for j in 0..<c { maximum = Swift.max(maximum, x[j]) }
        var total: Float = 0
        for j in 0..<c {
            let e = Foundation.exp(x[j] - maximum)
            p[j] = e
            total += e
        }
        let inverse = 1 / total
        for j in 0..<c { p[j] *= inverse }
        return (maximum, Foundation.log(total))
    }
}
