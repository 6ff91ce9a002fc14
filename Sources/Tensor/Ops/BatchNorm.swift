// Batch normalisation over [N, C, H, W] (any trailing spatial axes, so [N, C] works too), as
// torch.nn.BatchNorm2d. Training: normalise with the batch mean and biased variance, and move the
// running statistics with the unbiased variance; evaluation: normalise with the running ones.
// Channels are independent, so they run in parallel. Legend: M = N·H·W values per channel.

extension Tensor {
    /// Batch norm with per-channel `weight`/`bias` [C]. In training the running statistics are
    /// updated in place: running = (1 − momentum)·running + momentum·batch statistic.
    public func batchNorm(weight: Tensor, bias: Tensor, runningMean: inout [Float], runningVariance: inout [Float],
                          momentum: Float = 0.1, eps: Float = 1e-5, training: Bool) -> Tensor {
        precondition(rank >= 2, "batchNorm needs input [N, C, ...], got \(shape)")
        let n = shape[0], c = shape[1], spatial = shape[2...].reduce(1, *)
        precondition(weight.shape == [c] && bias.shape == [c] && runningMean.count == c && runningVariance.count == c,
                     "batchNorm parameters (weight \(weight.shape), bias \(bias.shape), running \(runningMean.count)/\(runningVariance.count)) do not match input \(shape)")
        let m = n * spatial
        precondition(!training || m > 1, "batchNorm in training needs more than one value per channel, got input \(shape)")

        var means = [Float](repeating: 0, count: c)   // [C] statistics used to normalise
        var rstds = [Float](repeating: 0, count: c)   // [C]
        if training {
            var unbiased = [Float](repeating: 0, count: c)
            data.withUnsafeBufferPointer { x in
                means.withUnsafeMutableBufferPointer { meanOut in
                    rstds.withUnsafeMutableBufferPointer { rstdOut in
                        unbiased.withUnsafeMutableBufferPointer { unbiasedOut in
                            Parallel.forRanges(c, costPerItem: 2 * m) { channels in
                                for ch in channels {
                                    var sum: Double = 0
                                    for image in 0..<n {
                                        let base = x.baseAddress! + (image * c + ch) * spatial
                                        for s in 0..<spatial { sum += Double(base[s]) }
                                    }
                                    let mean = sum / Double(m)
                                    var sq: Double = 0
                                    for image in 0..<n {
                                        let base = x.baseAddress! + (image * c + ch) * spatial
                                        for s in 0..<spatial { let t = Double(base[s]) - mean; sq += t * t }
                                    }
                                    meanOut[ch] = Float(mean)
                                    rstdOut[ch] = Float(1 / (sq / Double(m) + Double(eps)).squareRoot())
                                    unbiasedOut[ch] = Float(sq / Double(m - 1))
                                }
                            }
                        }
                    }
                }
            }
            for ch in 0..<c {
                runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * means[ch]
                runningVariance[ch] = (1 - momentum) * runningVariance[ch] + momentum * unbiased[ch]
            }
        } else {
            means = runningMean
            rstds = runningVariance.map { 1 / ($0 + eps).squareRoot() }
        }

        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(n * c, costPerItem: spatial) { planes in
                    for plane in planes {
                        let ch = plane % c
                        let scale = rstds[ch] * weight.data[ch]
                        let shift = bias.data[ch] - means[ch] * scale
                        let base = plane * spatial
                        for s in 0..<spatial { o[base + s] = x[base + s] * scale + shift }
                    }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input, weight, bias]) { g in
            // Per channel: Σg and Σg·x̂ give dbias and dweight; in training they also carry the
            // gradient through the batch statistics: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
            var sumG = [Float](repeating: 0, count: c)
            var sumGXhat = [Float](repeating: 0, count: c)
            g.withUnsafeBufferPointer { dy in
                input.data.withUnsafeBufferPointer { x in
                    sumG.withUnsafeMutableBufferPointer { sg in
                        sumGXhat.withUnsafeMutableBufferPointer { sgx in
                            Parallel.forRanges(c, costPerItem: 2 * m) { channels in
                                for ch in channels {
                                    var a: Double = 0, b: Double = 0
                                    for image in 0..<n {
                                        let base = (image * c + ch) * spatial
                                        for s in 0..<spatial {
                                            let xhat = (x[base + s] - means[ch]) * rstds[ch]
                                            a += Double(dy[base + s])
                                            b += Double(dy[base + s] * xhat)
                                        }
                                    }
                                    sg[ch] = Float(a)
                                    sgx[ch] = Float(b)
                                }
                            }
                        }
                    }
                }
            }
            if weight.requiresGrad { weight.accumulateGrad(sumGXhat) }
            if bias.requiresGrad { bias.accumulateGrad(sumG) }
            guard input.requiresGrad else { return }
            input.withGradBuffer { dx in
                g.withUnsafeBufferPointer { dy in
                    input.data.withUnsafeBufferPointer { x in
                        Parallel.forRanges(n * c, costPerItem: spatial) { planes in
                            for plane in planes {
                                let ch = plane % c
                                let w = weight.data[ch], rstd = rstds[ch], mean = means[ch]
                                let base = plane * spatial
                                if training {
                                    // mean(dx̂) = w·Σg/M, mean(dx̂·x̂) = w·Σg·x̂/M
                                    let meanD = w * sumG[ch] / Float(m), meanDX = w * sumGXhat[ch] / Float(m)
                                    for s in 0..<spatial {
                                        let xhat = (x[base + s] - mean) * rstd
                                        dx[base + s] += rstd * (w * dy[base + s] - meanD - xhat * meanDX)
                                    }
                                } else {
                                    for s in 0..<spatial { dx[base + s] += dy[base + s] * w * rstd }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
