// Softmax and log-softmax along one axis, numerically stable (the row maximum is subtracted
// before exp). The tensor is viewed as [outer, L, inner]; each of the outer·inner rows of length
// L (stride `inner`) is independent, so rows run in parallel. inner == 1 (the last axis) is the
// contiguous fast path that attention and classification use.

import Foundation

extension Tensor {
    /// exp(x − max) / Σ exp(x − max) along `axis` (negative counts from the end).
    public func softmax(axis: Int = -1) -> Tensor {
        softmaxFamily(axis: axis, logarithm: false)
    }

    /// x − max − log Σ exp(x − max) along `axis`: the log of `softmax`, without its underflow.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        softmaxFamily(axis: axis, logarithm: true)
    }

    private func softmaxFamily(axis: Int, logarithm: Bool) -> Tensor {
        let a = normaliseAxis(axis)
        let length = shape[a]
        let inner = shape[(a + 1)...].reduce(1, *)
        let outer = shape[..<a].reduce(1, *)
        let rows = outer * inner
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(rows, costPerItem: length * 8) { range in
                    for row in range {
                        let base = (row / inner) * length * inner + row % inner
                        if inner == 1 {
                            Tensor.softmaxRow(x.baseAddress! + base, o.baseAddress! + base,
                                              length: length, stride: 1, logarithm: logarithm)
                        } else {
                            Tensor.softmaxRow(x.baseAddress! + base, o.baseAddress! + base,
                                              length: length, stride: inner, logarithm: logarithm)
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            // softmax: dx = y ∘ (g − Σ g∘y);  log-softmax: dx = g − softmax(x) · Σ g.
            var gx = [Float](repeating: 0, count: g.count)
            gx.withUnsafeMutableBufferPointer { dx in
                g.withUnsafeBufferPointer { dy in
                    result.data.withUnsafeBufferPointer { y in
                        Parallel.forRanges(rows, costPerItem: length * 6) { range in
                            for row in range {
                                let base = (row / inner) * length * inner + row % inner
                                var total: Float = 0
                                if logarithm {
                                    for j in 0..<length { total += dy[base + j * inner] }
                                    for j in 0..<length {
                                        let i = base + j * inner
                                        dx[i] = dy[i] - FastMath.exp(y[i]) * total
                                    }
                                } else {
                                    for j in 0..<length { total += dy[base + j * inner] * y[base + j * inner] }
                                    for j in 0..<length {
                                        let i = base + j * inner
                                        dx[i] = y[i] * (dy[i] - total)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            input.accumulateGrad(gx)
        }
        return result
    }

    /// One row: `length` elements `stride` apart. Writes softmax (or log-softmax) into `y`.
    @inline(__always)
    static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           length: Int, stride: Int, logarithm: Bool) {
        var maximum = -Float.infinity
        if stride == 1 {
            maximum = RowMath.maximum(x, count: length)
        } else {
            for j in 0..<length { maximum = Swift.max(maximum, x[j * stride]) }
        }
        // A row of all −∞ (fully masked) has no finite maximum; using 0 keeps it finite (FastMath.exp
        // clamps, so the row comes out uniform) rather than 0/0. NaN inputs still give NaN.
        if maximum == -.infinity { maximum = 0 }
        var total: Float = 0
        if stride == 1 {
            // Exponentials first (a loop with no running sum vectorises), then their sum.
            for j in 0..<length { y[j] = FastMath.exp(x[j] - maximum) }
            total = RowMath.sum(y, count: length)
        } else {
            for j in 0..<length {
                let e = FastMath.exp(x[j * stride] - maximum)
                y[j * stride] = e
                total += e
            }
        }
        if logarithm {
            // (x − max) − log Σ, not x − (max + log Σ): the latter loses digits for large x.
            let logTotal = Foundation.log(total)
            for j in 0..<length { y[j * stride] = (x[j * stride] - maximum) - logTotal }
        } else {
            let inverse = 1 / total
            for j in 0..<length { y[j * stride] *= inverse }
        }
    }
}
