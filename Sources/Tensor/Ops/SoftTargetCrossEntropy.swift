// Cross-entropy against soft targets (timm's SoftTargetCrossEntropy, used with mixup/cutmix):
// loss = mean_n Σ_c −t_nc · log softmax(x_n)_c. Fused like crossEntropy: the forward keeps the
// softmax, the backward is (p · Σ_c t_nc − t_n) / N (= p − t when each target row sums to 1).
// Shapes: logits [N, C], targets N·C row-major, result a scalar.

import Foundation

extension Tensor {
    /// Mean soft-target cross-entropy of `logits` [N, C] against `targets` (N·C values, row-major).
    public static func softTargetCrossEntropy(logits: Tensor, targets: [Float]) -> Tensor {
        precondition(logits.rank == 2, "softTargetCrossEntropy needs logits of shape [N, C], got \(logits.shape)")
        let n = logits.shape[0], c = logits.shape[1]
        precondition(targets.count == n * c,
                     "softTargetCrossEntropy got \(targets.count) target values for logits of shape \(logits.shape)")
        var probabilities = [Float](repeating: 0, count: n * c)   // [N, C] softmax, kept for backward
        var targetSums = [Float](repeating: 0, count: n)
        var rowLoss = [Double](repeating: 0, count: n)
        probabilities.withUnsafeMutableBufferPointer { p in
            logits.data.withUnsafeBufferPointer { x in
              rowLoss.withUnsafeMutableBufferPointer { losses in
                targetSums.withUnsafeMutableBufferPointer { sums in
                Parallel.forRanges(n, costPerItem: c * 8) { range in
                    for row in range {
                        let xr = x.baseAddress! + row * c
                        let (maximum, logTotal) = softmaxRow(xr, into: p.baseAddress! + row * c, count: c)
                        var loss: Double = 0, tSum: Float = 0
                        for j in 0..<c {
                            let t = targets[row * c + j]
                            loss -= Double(t) * Double((xr[j] - maximum) - logTotal)
                            tSum += t
                        }
                        losses[row] = loss
                        sums[row] = tSum
                    }
                }
                }
              }
            }
        }
        let result = Tensor(Float(rowLoss.reduce(0, +) / Double(max(n, 1))))
        Tensor.record(result, parents: [logits]) { g in
            let scale = g[0] / Float(max(n, 1))
            var gx = probabilities
            for row in 0..<n {
                for j in 0..<c {
                    let k = row * c + j
                    gx[k] = (gx[k] * targetSums[row] - targets[k]) * scale
                }
            }
            logits.accumulateGrad(gx)
        }
        return result
    }
}
