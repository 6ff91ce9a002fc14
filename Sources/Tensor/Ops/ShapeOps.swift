// Reshape (free: storage is shared copy-on-write), permute and transpose (one strided copy),
// slicing along an axis, concatenation, and broadcasting to a larger shape.

extension Tensor {
    /// The same elements under a new shape; one extent may be -1 and is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[unknown] = count / known
        }
        precondition(target.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let result = Tensor(shape: target, data: data)
        let input = self
        Tensor.record(result, parents: [input]) { g in input.accumulateGrad(g) }
        return result
    }

    /// Reorders axes: output axis i is input axis `axes[i]` (as `torch.permute`).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank),
                     "permutation \(axes) does not fit shape \(shape)")
        if axes == Array(0..<rank) { return reshaped(shape) }
        let outShape = axes.map { shape[$0] }
        let out = Tensor.permute(data, shape: shape, axes: axes)
        let result = Tensor(shape: outShape, data: out)
        let input = self
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        Tensor.record(result, parents: [input]) { g in
            input.accumulateGrad(Tensor.permute(g, shape: outShape, axes: inverse))
        }
        return result
    }

    /// Swaps two axes.
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normaliseAxis(axis0), normaliseAxis(axis1))
        return permuted(axes)
    }

    /// Elements `range` of `axis`, all of every other axis.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normaliseAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) is out of range for axis \(a) of shape \(shape)")
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        let length = shape[a]
        var outShape = shape
        outShape[a] = range.count
        var out = [Float](repeating: 0, count: outer * range.count * inner)
        let block = range.count * inner
        for b in 0..<outer {
            let src = (b * length + range.lowerBound) * inner
            out.withUnsafeMutableBufferPointer { o in
                data.withUnsafeBufferPointer { x in
                    (o.baseAddress! + b * block).update(from: x.baseAddress! + src, count: block)
                }
            }
        }
        let result = Tensor(shape: outShape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.withGradBuffer { gx in
                for b in 0..<outer {
                    let dst = (b * length + range.lowerBound) * inner
                    for i in 0..<block { gx[dst + i] += g[b * block + i] }
                }
            }
        }
        return result
    }

    /// Joins tensors along `axis`; every other extent must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let a = first.normaliseAxis(axis)
        for t in tensors {
            precondition(t.rank == first.rank
                         && t.shape.enumerated().allSatisfy { $0.offset == a || $0.element == first.shape[$0.offset] },
                         "cannot concatenate shapes \(first.shape) and \(t.shape) along axis \(a)")
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let lengths = tensors.map { $0.shape[a] }
        let total = lengths.reduce(0, +)
        var outShape = first.shape
        outShape[a] = total
        var out = [Float](repeating: 0, count: outer * total * inner)
        var offset = 0
        for (t, length) in zip(tensors, lengths) {
            for b in 0..<outer {
                let dst = (b * total + offset) * inner
                let src = b * length * inner
                for i in 0..<(length * inner) { out[dst + i] = t.data[src + i] }
            }
            offset += length
        }
        let result = Tensor(shape: outShape, data: out)
        Tensor.record(result, parents: tensors) { g in
            var offset = 0
            for (t, length) in zip(tensors, lengths) {
                if t.requiresGrad {
                    var gt = [Float](repeating: 0, count: t.count)
                    for b in 0..<outer {
                        let src = (b * total + offset) * inner
                        for i in 0..<(length * inner) { gt[b * length * inner + i] = g[src + i] }
                    }
                    t.accumulateGrad(gt)
                }
                offset += length
            }
        }
        return result
    }

    /// Repeats the tensor along broadcast axes to `targetShape` (as `torch.expand`, but copied).
    public func broadcast(to targetShape: [Int]) -> Tensor {
        precondition(Broadcasting.shape(shape, targetShape) == targetShape,
                     "cannot broadcast shape \(shape) to \(targetShape)")
        let pattern = BroadcastPattern(from: shape, to: targetShape)
        let n = targetShape.reduce(1, *)
        let out = (0..<n).map { data[pattern.inputIndex($0)] }
        let result = Tensor(shape: targetShape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.accumulateGrad(Broadcasting.reduce(g, from: targetShape, to: input.shape))
        }
        return result
    }

    /// Row-major copy of `values` (of `shape`) with its axes reordered by `axes`.
    static func permute(_ values: [Float], shape: [Int], axes: [Int]) -> [Float] {
        let rank = shape.count
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let outShape = axes.map { shape[$0] }
        let strides = axes.map { inStrides[$0] }   // input stride of each output axis
        var out = [Float](repeating: 0, count: values.count)
        guard !values.isEmpty else { return out }
        // The last output axis is walked in the inner loop; the rest by an odometer.
        let innerLength = outShape[rank - 1], innerStride = strides[rank - 1]
        let outerCount = values.count / innerLength
        out.withUnsafeMutableBufferPointer { o in
            values.withUnsafeBufferPointer { x in
                Parallel.forRanges(outerCount, costPerItem: innerLength) { range in
                    var index = [Int](repeating: 0, count: rank)
                    var offset = 0
                    // Start the odometer at range.lowerBound.
                    var rest = range.lowerBound
                    for axis in stride(from: rank - 2, through: 0, by: -1) {
                        index[axis] = rest % outShape[axis]
                        rest /= outShape[axis]
                        offset += index[axis] * strides[axis]
                    }
                    for row in range {
                        let base = row * innerLength
                        for j in 0..<innerLength { o[base + j] = x[offset + j * innerStride] }
                        var axis = rank - 2
                        while axis >= 0 {
                            index[axis] += 1
                            offset += strides[axis]
                            if index[axis] < outShape[axis] { break }
                            offset -= strides[axis] * index[axis]
                            index[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
        return out
    }
}
