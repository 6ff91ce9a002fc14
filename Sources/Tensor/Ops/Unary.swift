// Elementwise functions with their derivatives: exp, log, sqrt, tanh, sigmoid, ReLU, square, power.
// Each derivative is written in terms of the input x and the output y, whichever is cheaper.

import Foundation

extension Tensor {
    /// Applies `forward` elementwise; `derivative(x, y)` gives dy/dx at input x with output y.
    @inline(__always)
    func unary(_ forward: (Float) -> Float,
               derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(count, costPerItem: 8) { range in
                    for i in range { o[i] = forward(x[i]) }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let input = self
        Tensor.record(result, parents: [input]) { g in
            var gx = g
            gx.withUnsafeMutableBufferPointer { gx in
                input.data.withUnsafeBufferPointer { x in
                    result.data.withUnsafeBufferPointer { y in
                        Parallel.forRanges(gx.count, costPerItem: 8) { range in
                            for i in range { gx[i] *= derivative(x[i], y[i]) }
                        }
                    }
                }
            }
            input.accumulateGrad(gx)
        }
        return result
    }

    public func exp() -> Tensor { unary(Foundation.exp, derivative: { _, y in y }) }
    public func log() -> Tensor { unary(Foundation.log, derivative: { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary(Foundation.sqrt, derivative: { _, y in 0.5 / y }) }
    public func tanh() -> Tensor { unary(Foundation.tanh, derivative: { _, y in 1 - y * y }) }
    public func sigmoid() -> Tensor {
        unary({ 1 / (1 + Foundation.exp(-$0)) }, derivative: { _, y in y * (1 - y) })
    }
    public func relu() -> Tensor { unary({ max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 }) }
    public func square() -> Tensor { unary({ $0 * $0 }, derivative: { x, _ in 2 * x }) }
    public func pow(_ p: Float) -> Tensor {
        unary({ Foundation.pow($0, p) }, derivative: { x, _ in p * Foundation.pow(x, p - 1) })
    }
}
