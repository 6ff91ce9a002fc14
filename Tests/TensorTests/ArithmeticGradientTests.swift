// Finite-difference gradients of the existing elementwise ops: +, −, ×, ÷ under every broadcast
// pattern (same shape, bias, per-row, general, scalar) in both operand orders; scalar and affine
// forms; exp, log, sqrt, tanh, relu, square, pow. Tolerance 1e-3 (Float32, eps 1e-2) throughout.

import XCTest
import Tensor

final class ArithmeticGradientTests: XCTestCase {
    /// Uniform in [0.5, 1.5): safe as a denominator, a log or a sqrt argument.
    func positive(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.uniform(shape, low: 0.5, high: 1.5, rng: &rng)
    }

    func testBinaryOpsEveryBroadcastPatternBothOrders() {
        let patterns: [(name: String, big: [Int], small: [Int])] = [
            ("same shape", [3, 4], [3, 4]),
            ("bias [N,D]+[D]", [3, 4], [4]),
            ("per-row [N,1]·[N,D]", [3, 4], [3, 1]),
            ("general [B,1,D]·[B,T,D]", [2, 3, 4], [2, 1, 4]),
            ("scalar []", [3, 4], []),
            ("scalar [1]", [3, 4], [1]),
            ("middle [1,T,1]", [2, 3, 4], [1, 3, 1]),
        ]
        let ops: [(String, (Tensor, Tensor) -> Tensor)] = [("+", { $0 + $1 }), ("-", { $0 - $1 }),
                                                            ("*", { $0 * $1 }), ("/", { $0 / $1 })]
        for (p, pattern) in patterns.enumerated() {
            let big = positive(pattern.big, seed: UInt64(100 + p))
            let small = positive(pattern.small, seed: UInt64(200 + p))
            for (symbol, op) in ops {
                assertGradient("\(pattern.name) big \(symbol) small", [big, small], tolerance: 1e-3) { op($0[0], $0[1]) }
                assertGradient("\(pattern.name) small \(symbol) big", [small, big], tolerance: 1e-3) { op($0[0], $0[1]) }
            }
        }
    }

    func testBroadcastValues() {
        let a = Tensor(shape: [2, 1, 2], data: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 3, 2], data: (0..<12).map { Float($0) })
        let expected: [Float] = [0, 2, 2, 6, 4, 10, 18, 28, 24, 36, 30, 44]
        XCTAssertEqual((a * b).data, expected)
        XCTAssertEqual((b - a).shape, [2, 3, 2])
        let row = Tensor(shape: [2, 1], data: [10, 20])
        XCTAssertEqual((row + Tensor(shape: [2, 2], data: [1, 2, 3, 4])).data, [11, 12, 23, 24])
    }

    func testSelfProductGradient() {
        // x appears twice: both branches must accumulate, d(x·x)/dx = 2x.
        let x = Tensor(shape: [3], data: [1, -2, 3], requiresGrad: true)
        (x * x).sum().backward()
        XCTAssertEqual(x.grad!, [2, -4, 6])
    }

    func testScalarAndAffineOps() {
        let x = randomTensor([3, 5], seed: 300)
        let cases: [(String, (Tensor) -> Tensor)] = [
            ("x + s", { $0 + 1.5 }), ("x - s", { $0 - 1.5 }), ("x * s", { $0 * -2.5 }), ("x / s", { $0 / 4 }),
            ("s + x", { 1.5 + $0 }), ("s - x", { 1.5 - $0 }), ("s * x", { 3 * $0 }), ("-x", { -$0 }),
            ("affine", { $0.affine(scale: 0.7, shift: -0.3) }),
        ]
        for (name, f) in cases {
            assertGradient(name, [x], tolerance: 1e-3) { f($0[0]) }
        }
        XCTAssertEqual((1.5 - Tensor(shape: [2], data: [1, 2])).data, [0.5, -0.5])
        XCTAssertEqual((Tensor(shape: [2], data: [1, 2]) / 4).data, [0.25, 0.5])
    }

    func testUnaryOps() {
        let x = randomTensor([4, 5], seed: 301)
        let p = positive([4, 5], seed: 302)
        // ReLU input kept ≥ 0.05 away from its kink so ±eps never crosses it.
        let r = Tensor(shape: [4, 5], data: x.data.map { $0 >= 0 ? $0 + 0.05 : $0 - 0.05 })
        assertGradient("exp", [x], tolerance: 1e-3) { $0[0].exp() }
        assertGradient("log", [p], tolerance: 1e-3) { $0[0].log() }
        assertGradient("sqrt", [p], tolerance: 1e-3) { $0[0].sqrt() }
        assertGradient("tanh", [x], tolerance: 1e-3) { $0[0].tanh() }
        assertGradient("relu", [r], tolerance: 1e-3) { $0[0].relu() }
        assertGradient("square", [x], tolerance: 1e-3) { $0[0].square() }
        assertGradient("pow 3", [x], tolerance: 1e-3) { $0[0].pow(3) }
        assertGradient("pow 0.5", [p], tolerance: 1e-3) { $0[0].pow(0.5) }
        assertGradient("pow -1.5", [p], tolerance: 1e-3) { $0[0].pow(-1.5) }
    }
}
