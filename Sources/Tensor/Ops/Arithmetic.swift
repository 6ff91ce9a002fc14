// Broadcasting add, subtract, multiply and divide, with tensors or scalars on either side.
// Backward of a broadcast input sums the gradient over the axes it was repeated along.

extension Tensor {
    private enum BinaryOp { case add, subtract, multiply, divide }

    private func binary(_ other: Tensor, _ op: BinaryOp) -> Tensor {
        guard let outShape = Broadcasting.shape(shape, other.shape) else {
            preconditionFailure("cannot broadcast shapes \(shape) and \(other.shape)")
        }
        let pa = BroadcastPattern(from: shape, to: outShape)
        let pb = BroadcastPattern(from: other.shape, to: outShape)
        let n = outShape.reduce(1, *)
        var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }   // all written below
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { a in
                other.data.withUnsafeBufferPointer { b in
                    Parallel.forRanges(n) { range in
                        if case .same = pa, case .same = pb, op == .add {
                            // Residual adds: a plain loop the compiler vectorises.
                            let x = a.baseAddress!, y = b.baseAddress!, z = o.baseAddress!
                            for i in range { z[i] = x[i] + y[i] }
                            return
                        }
                        for i in range {
                            let x = a[pa.inputIndex(i)], y = b[pb.inputIndex(i)]
                            switch op {
                            case .add: o[i] = x + y
                            case .subtract: o[i] = x - y
                            case .multiply: o[i] = x * y
                            case .divide: o[i] = x / y
                            }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: outShape, data: out)
        let (lhs, rhs) = (self, other)
        Tensor.record(result, parents: [lhs, rhs]) { g in
            // Full-size gradients for each side, then summed down to the input's shape.
            if lhs.requiresGrad {
                var ga = g
                switch op {
                case .add, .subtract: break
                case .multiply: for i in 0..<n { ga[i] *= rhs.data[pb.inputIndex(i)] }
                case .divide: for i in 0..<n { ga[i] /= rhs.data[pb.inputIndex(i)] }
                }
                lhs.accumulateGrad(Broadcasting.reduce(ga, from: outShape, to: lhs.shape))
            }
            if rhs.requiresGrad {
                var gb = g
                switch op {
                case .add: break
                case .subtract: for i in 0..<n { gb[i] = -gb[i] }
                case .multiply: for i in 0..<n { gb[i] *= lhs.data[pa.inputIndex(i)] }
                case .divide:
                    for i in 0..<n {
                        let y = rhs.data[pb.inputIndex(i)]
                        gb[i] *= -lhs.data[pa.inputIndex(i)] / (y * y)
                    }
                }
                rhs.accumulateGrad(Broadcasting.reduce(gb, from: outShape, to: rhs.shape))
            }
        }
        return result
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .subtract) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .multiply) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .divide) }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }

    /// scale · x + shift, elementwise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let result = Tensor(shape: shape, data: data.map { $0 * scale + shift })
        let input = self
        Tensor.record(result, parents: [input]) { g in
            input.accumulateGrad(scale == 1 ? g : g.map { $0 * scale })
        }
        return result
    }
}
