// NumPy broadcasting: the output shape of two shapes, and how each output element finds its
// input element. The common patterns (same shape, a bias repeated over rows, a per-row value
// repeated along the last axes) get direct index rules; anything else uses a precomputed map.

/// How the elements of an input of `inputShape` map onto an output of `outputShape`.
public enum BroadcastPattern {
    /// The input has the output's shape.
    case same
    /// The input repeats whole: output element i reads input i % period (bias over rows, scalar).
    case tiled(period: Int)
    /// Each input element is repeated `run` times in a row: output i reads input i / run
    /// (e.g. [N, 1] against [N, D]).
    case stretched(run: Int)
    /// Any other broadcast: the input index of every output element.
    case general([Int])

    public init(from inputShape: [Int], to outputShape: [Int]) {
        let inputCount = inputShape.reduce(1, *)
        let outputCount = outputShape.reduce(1, *)
        let padded = [Int](repeating: 1, count: outputShape.count - inputShape.count) + inputShape
        if padded == outputShape {
            self = .same
            return
        }
        // Tiled: a (possibly empty) run of broadcast axes, then axes equal to the output's.
        if let firstMatching = (0...padded.count).first(where: { Array(padded[$0...]) == Array(outputShape[$0...]) }),
           padded[..<firstMatching].allSatisfy({ $0 == 1 }) {
            self = .tiled(period: inputCount)
            return
        }
        // Stretched: axes equal to the output's, then a run of broadcast axes.
        if let lastMatching = (0...padded.count).last(where: { Array(padded[..<$0]) == Array(outputShape[..<$0]) }),
           padded[lastMatching...].allSatisfy({ $0 == 1 }) {
            self = .stretched(run: outputCount / max(inputCount, 1))
            return
        }
        var inputStrides = [Int](repeating: 0, count: padded.count)
        var running = 1
        for axis in stride(from: padded.count - 1, through: 0, by: -1) {
            inputStrides[axis] = padded[axis] == 1 ? 0 : running
            running *= padded[axis]
        }
        var map = [Int](repeating: 0, count: outputCount)
        var index = [Int](repeating: 0, count: outputShape.count)
        var inputOffset = 0
        for i in 0..<outputCount {
            map[i] = inputOffset
            // Odometer increment over the output index, tracking the input offset.
            var axis = outputShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                inputOffset += inputStrides[axis]
                if index[axis] < outputShape[axis] { break }
                inputOffset -= inputStrides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        self = .general(map)
    }

    /// The input index read by output element `i`.
    @inline(__always)
    public func inputIndex(_ i: Int) -> Int {
        switch self {
        case .same: return i
        case .tiled(let period): return i % period
        case .stretched(let run): return i / run
        case .general(let map): return map[i]
        }
    }
}

public enum Broadcasting {
    /// The broadcast shape of two shapes, or nil if they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 0, count: rank)
        for axis in 0..<rank {
            if pa[axis] == pb[axis] || pb[axis] == 1 {
                out[axis] = pa[axis]
            } else if pa[axis] == 1 {
                out[axis] = pb[axis]
            } else {
                return nil
            }
        }
        return out
    }

    /// Sums `gradient` (of `outputShape`) down to `inputShape`: the backward of broadcasting.
    public static func reduce(_ gradient: [Float], from outputShape: [Int], to inputShape: [Int]) -> [Float] {
        let pattern = BroadcastPattern(from: inputShape, to: outputShape)
        if case .same = pattern { return gradient }
        var result = [Float](repeating: 0, count: inputShape.reduce(1, *))
        result.withUnsafeMutableBufferPointer { r in
            gradient.withUnsafeBufferPointer { g in
                switch pattern {
                case .same:
                    break
                case .tiled(let period):
                    var start = 0
                    while start < g.count {
                        for j in 0..<period { r[j] += g[start + j] }
                        start += period
                    }
                case .stretched(let run):
                    for j in 0..<r.count {
                        var total: Float = 0
                        for t in 0..<run { total += g[j * run + t] }
                        r[j] = total
                    }
                case .general(let map):
                    for i in 0..<g.count { r[map[i]] += g[i] }
                }
            }
        }
        return result
    }
}
