// Softmax and log-softmax along one axis, numerically stable (the row maximum is subtracted
// before exp). The tensor is viewed as [outer, L, inner]; each of the outer·inner rows of length
// L (stride `inner`) is independent, so rows run in parallel. inner == 1 (the last axis) is the
// contiguous fast path that attention and classification use. The row loops are CKernels'
// vt_softmax / vt_softmax_backward, vectorised per CPU level.

import CKernels

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
        var out = [Float](unsafeUninitializedCapacity: count) { _, n in n = count }   // every row written
        // Rows of one outer block are adjacent (stride `inner` within a row); blocks are L·inner apart.
        // Threads take whole outer blocks when there are several, else ranges of rows in the one block.
        func forEachRowBlock(cost: Int, _ body: (_ offset: Int, _ rows: Int) -> Void) {
            if inner == 1 {
                Parallel.forRanges(rows, costPerItem: cost) { range in body(range.lowerBound * length, range.count) }
            } else {
                Parallel.forRanges(rows, costPerItem: cost) { range in
                    var row = range.lowerBound
                    while row < range.upperBound {
                        let block = row / inner, within = row % inner
                        let count = min(range.upperBound - row, inner - within)
                        body(block * length * inner + within, count)
                        row += count
                    }
                }
            }
        }
        let rowStride = inner == 1 ? length : 1
        let logFlag: Int32 = logarithm ? 1 : 0
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                let input = x.baseAddress!, output = o.baseAddress!
                forEachRowBlock(cost: length * 8) { offset, count in
                    vt_softmax(input + offset, output + offset, count, length, inner, rowStride, logFlag)
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            // softmax: dx = y ∘ (g − Σ g∘y);  log-softmax: dx = g − softmax(x) · Σ g.
            var gx = [Float](unsafeUninitializedCapacity: g.count) { _, n in n = g.count }
            gx.withUnsafeMutableBufferPointer { dx in
                g.withUnsafeBufferPointer { dy in
                    result.data.withUnsafeBufferPointer { y in
                        let grad = dx.baseAddress!, upstream = dy.baseAddress!, output = y.baseAddress!
                        forEachRowBlock(cost: length * 6) { offset, count in
                            vt_softmax_backward(output + offset, upstream + offset, grad + offset, count, length,
                                                inner, rowStride, logFlag)
                        }
                    }
                }
            }
            input.accumulateGrad(gx)
        }
        return result
    }
}
