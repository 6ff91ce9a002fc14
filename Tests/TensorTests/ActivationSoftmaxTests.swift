// GELU and softmax / log-softmax: forward values against hand-computed numbers, and
// finite-difference gradients over the last and a middle axis.

import XCTest
import Foundation
import Tensor

final class ActivationSoftmaxTests: XCTestCase {
    func testGeluValues() {
        // x·Φ(x): Φ(1) = 0.841345, Φ(−1) = 0.158655, Φ(2) = 0.977250.
        let y = Tensor(shape: [4], data: [0, 1, -1, 2]).gelu()
        let expected: [Float] = [0, 0.841345, -0.158655, 1.954500]
        XCTAssertLessThan(maxDifference(y.data, expected), 1e-5)
    }

    func testGeluGradient() {
        assertGradient("gelu", [randomTensor([3, 7], seed: 1, scale: 2)], tolerance: 1e-3) { $0[0].gelu() }
    }

    func testSoftmaxValues() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 1000, 1000, 1000])
        let y = x.softmax()
        let e = [Foundation.exp(Float(-2)), Foundation.exp(Float(-1)), 1]
        let total = e.reduce(0, +)
        XCTAssertLessThan(maxDifference(Array(y.data[0..<3]), e.map { $0 / total }), 1e-6)
        // Large logits must not overflow: equal logits give 1/3 each.
        XCTAssertLessThan(maxDifference(Array(y.data[3..<6]), [1.0 / 3, 1.0 / 3, 1.0 / 3]), 1e-6)
        let logY = x.logSoftmax()
        XCTAssertLessThan(maxDifference(logY.data, y.data.map { Foundation.log($0) }), 1e-5)
    }

    func testSoftmaxRowsSumToOneAlongAnyAxis() {
        let x = randomTensor([3, 4, 5], seed: 2, scale: 3)
        for axis in [0, 1, 2] {
            let sums = x.softmax(axis: axis).sum(axis: axis)
            XCTAssertLessThan(maxDifference(sums.data, [Float](repeating: 1, count: sums.count)), 1e-5,
                              "axis \(axis)")
        }
        // Middle axis by hand: element [1, :, 2].
        let y = x.softmax(axis: 1)
        let column = (0..<4).map { x.data[(1 * 4 + $0) * 5 + 2] }
        let m = column.max()!
        let e = column.map { Foundation.exp($0 - m) }
        let expected = e.map { $0 / e.reduce(0, +) }
        let got = (0..<4).map { y.data[(1 * 4 + $0) * 5 + 2] }
        XCTAssertLessThan(maxDifference(got, expected), 1e-6)
    }

    func testSoftmaxGradients() {
        let x = randomTensor([3, 4, 5], seed: 3)
        assertGradient("softmax last", [x], tolerance: 1e-3) { $0[0].softmax() }
        assertGradient("softmax middle", [x], tolerance: 1e-3) { $0[0].softmax(axis: 1) }
        assertGradient("logSoftmax last", [x], tolerance: 1e-3) { $0[0].logSoftmax() }
        assertGradient("logSoftmax middle", [x], tolerance: 1e-3) { $0[0].logSoftmax(axis: 1) }
        assertGradient("softmax first", [x], tolerance: 1e-3) { $0[0].softmax(axis: 0) }
    }
}

final class FastMathTests: XCTestCase {
    func testExpMatchesFoundationAcrossRange() {
        var worst: Double = 0
        var x: Float = -87
        while x <= 88 {
            let exact = Foundation.exp(Double(x))
            let relative = abs(Double(FastMath.exp(x)) - exact) / exact
            worst = max(worst, relative)
            x += 0.001_3
        }
        XCTAssertLessThan(worst, 3e-7, "max relative error of FastMath.exp on [−87, 88]")
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertLessThan(FastMath.exp(-1000), 1e-37)
        XCTAssertEqual(FastMath.exp(-.infinity), FastMath.exp(-1000))
        print("FastMath.exp max relative error \(worst)")
    }
}

/// A NaN must reach the loss (the trainer stops on a NaN loss), never be silently dropped.
final class NaNPropagationTests: XCTestCase {
    func testNaNPropagates() {
        let x = Tensor(shape: [2, 3], data: [1, .nan, 2, 0, 1, 2])
        let s = x.softmax()
        XCTAssertTrue(s.data[0..<3].allSatisfy { $0.isNaN })
        XCTAssertFalse(s.data[3..<6].contains { $0.isNaN })
        XCTAssertTrue(x.gelu().data[1].isNaN)
        XCTAssertTrue(Tensor.crossEntropy(logits: x, targets: [0, 1]).item.isNaN)
        XCTAssertTrue(x.layerNorm(weight: nil, bias: nil).data[0].isNaN)
        XCTAssertTrue(FastMath.exp(.nan).isNaN)
    }
}
