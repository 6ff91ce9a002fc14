// Sums and means over all elements or chosen axes. An axis reduction views the tensor as
// [outer, axis, inner]; its backward broadcasts the gradient back along the reduced axis.

extension Tensor {
    /// Sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        var total: Double = 0
        for v in data { total += Double(v) }
        let result = Tensor(Float(total))
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.accumulateGrad([Float](repeating: g[0], count: input.count))
        }
        return result
    }

    /// Mean of all elements, as a scalar tensor.
    public func mean() -> Tensor {
        sum() * (1 / Float(max(count, 1)))
    }

    /// Sum over `axes` (negative axes count from the end). With `keepDims` the reduced axes stay
    /// with extent 1, as `torch.sum(dim=..., keepdim=True)`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let normalised = Set(axes.map { normaliseAxis($0) }).sorted(by: >)
        var result = self
        for axis in normalised { result = result.sumAxis(axis) }
        if !keepDims {
            result = result.reshaped(shape.enumerated().filter { !normalised.contains($0.offset) }.map(\.element))
        }
        return result
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axes: [axis], keepDims: keepDims)
    }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = Set(axes.map { normaliseAxis($0) }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        mean(axes: [axis], keepDims: keepDims)
    }

    /// Converts a possibly negative axis to its index, trapping with both values if out of range.
    public func normaliseAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) is out of range for shape \(shape)")
        return a
    }

    /// Sum over one axis, keeping it with extent 1.
    private func sumAxis(_ axis: Int) -> Tensor {
        let outer = shape[..<axis].reduce(1, *)
        let length = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape[axis] = 1
        var out = [Float](repeating: 0, count: outer * inner)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(outer, costPerItem: length * inner) { range in
                    for b in range {
                        for j in 0..<length {
                            let row = (b * length + j) * inner
                            for i in 0..<inner { o[b * inner + i] += x[row + i] }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: outShape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            var gx = [Float](repeating: 0, count: input.count)
            for b in 0..<outer {
                for j in 0..<length {
                    let row = (b * length + j) * inner
                    for i in 0..<inner { gx[row + i] = g[b * inner + i] }
                }
            }
            input.accumulateGrad(gx)
        }
        return result
    }
}
