// Max and average pooling: hand-computed values (padding, count_include_pad), finite-difference
// gradients on inputs whose values are well apart (so no argmax ties flip), and which element wins
// a tie, a NaN or an all −∞ window: PyTorch's choice, since the gradient goes there.

import XCTest
import Tensor

final class PoolingTests: XCTestCase {
    /// Values 0.1·π(i) for a fixed permutation π: distinct and at least 0.1 apart.
    func spreadTensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let n = shape.reduce(1, *)
        let values = (0..<n).map { Float($0) * 0.1 }.shuffled(using: &rng)
        return Tensor(shape: shape, data: values)
    }

    func testMaxPoolValues() {
        let x = Tensor(shape: [1, 1, 4, 4], data: [1, 5, 2, 0,
                                                  3, 4, 8, 7,
                                                  9, 1, 0, 2,
                                                  6, 2, 3, 11])
        XCTAssertEqual(x.maxPool2d(kernel: 2, stride: 2).data, [5, 8, 9, 11])
        // Kernel 3, stride 2, padding 1 (ResNet stem): windows rows/cols {−1,0,1}, {1,2,3}.
        XCTAssertEqual(x.maxPool2d(kernel: 3, stride: 2, padding: 1).data, [5, 8, 9, 11])
        XCTAssertEqual(x.maxPool2d(kernel: 3, stride: 1).data, [9, 8, 9, 11])
    }

    func testAvgPoolValuesCountPadding() {
        let x = Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])
        XCTAssertEqual(x.avgPool2d(kernel: 2, stride: 2).data, [2.5])
        // Padding 1, kernel 2, stride 2: each window holds one real value and three zeros, ÷ 4.
        XCTAssertEqual(x.avgPool2d(kernel: 2, stride: 2, padding: 1).data, [0.25, 0.5, 0.75, 1])
    }

    func testGradients() {
        let x = spreadTensor([2, 3, 5, 5], seed: 80)
        assertGradient("maxPool2d k2 s2", [x], tolerance: 1e-3) { $0[0].maxPool2d(kernel: 2, stride: 2) }
        assertGradient("maxPool2d k3 s2 p1", [x], tolerance: 1e-3) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        assertGradient("avgPool2d k2 s2", [x], tolerance: 1e-3) { $0[0].avgPool2d(kernel: 2, stride: 2) }
        assertGradient("avgPool2d k3 s1 p1", [x], tolerance: 1e-3) { $0[0].avgPool2d(kernel: 3, stride: 1, padding: 1) }
    }

    /// Where the gradient of Σ maxPool2d(x) lands: the argmax of each window, in window order.
    func argmaxes(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> [Int] {
        let input = x.requiringGrad()
        let pooled = input.maxPool2d(kernel: kernel, stride: stride, padding: padding)
        // Weight window k by 2^k so each window's share is identifiable in the summed gradient.
        let weights = Tensor(shape: pooled.shape, data: (0..<pooled.count).map { Float(1 << $0) })
        (pooled * weights).sum().backward()
        let grad = input.grad!.map { Int($0) }
        return (0..<pooled.count).map { k in grad.firstIndex { $0 & (1 << k) != 0 } ?? -1 }
    }

    /// Printed by torch.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True) (torch 2.15, CPU):
    /// a tie goes to the first in row-major order, a NaN wins (the last one), and a window of −∞
    /// keeps its first position.
    func testTiesNaNAndInfinityPickPyTorchsElement() {
        let ties = Tensor(shape: [1, 1, 4, 4], data: [1, 2, 2, 1,
                                                     2, 0, 1, 2,
                                                     0, 2, 2, 0,
                                                     1, 1, 1, 1])
        XCTAssertEqual(ties.maxPool2d(kernel: 3, stride: 2, padding: 1).data, [2, 2, 2, 2])
        XCTAssertEqual(argmaxes(ties, kernel: 3, stride: 2, padding: 1), [1, 1, 4, 7])

        let nan = Float.nan
        let withNaN = Tensor(shape: [1, 1, 4, 4], data: [1, nan, 2, 1,
                                                        2, 0, nan, 2,
                                                        0, 2, 2, 0,
                                                        1, 1, 1, 1])
        let pooled = withNaN.maxPool2d(kernel: 3, stride: 2, padding: 1).data
        XCTAssertEqual(pooled.map(\.isNaN), [true, true, false, true])
        XCTAssertEqual(pooled[2], 2)
        XCTAssertEqual(argmaxes(withNaN, kernel: 3, stride: 2, padding: 1), [1, 6, 4, 6])

        let infinite = Tensor(shape: [1, 1, 4, 4], data: [Float](repeating: -.infinity, count: 16))
        XCTAssertEqual(argmaxes(infinite, kernel: 3, stride: 2, padding: 1), [0, 1, 4, 5])
    }

    /// The row-major scan the kernel must agree with, written as plainly as possible; argmax as
    /// flat indices into x.
    func referenceMaxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> (values: [Float], argmax: [Int]) {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let ho = (h + 2 * padding - kernel) / stride + 1, wo = (w + 2 * padding - kernel) / stride + 1
        var values: [Float] = [], argmax: [Int] = []
        for plane in 0..<planes {
            for oh in 0..<ho {
                for ow in 0..<wo {
                    let rows = max(0, oh * stride - padding)..<min(h, oh * stride - padding + kernel)
                    let columns = max(0, ow * stride - padding)..<min(w, ow * stride - padding + kernel)
                    var best = -Float.infinity, index = rows.lowerBound * w + columns.lowerBound
                    for ih in rows {
                        for iw in columns {
                            let v = x.data[plane * h * w + ih * w + iw]
                            if v > best || v.isNaN { best = v; index = ih * w + iw }
                        }
                    }
                    values.append(best)
                    argmax.append(plane * h * w + index)
                }
            }
        }
        return (values, argmax)
    }

    /// Many ties (values from {0, 1, 2}), some −∞ and NaN, odd sizes and several geometries, at
    /// every CPU level (the vector kernels' lanes and their scalar tails).
    func testMatchesTheRowMajorScanOnTiedInputs() {
        forEachCPULevel { level in checkTiedInputs(level) }
    }

    func checkTiedInputs(_ level: CPULevel) {
        var rng = RandomGenerator(seed: 81)
        for (shape, kernel, stride, padding) in [([2, 3, 9, 11], 3, 2, 1), ([1, 2, 8, 8], 2, 2, 0),
                                                 ([1, 1, 7, 5], 3, 1, 1), ([1, 2, 10, 13], 5, 3, 2),
                                                 ([2, 3, 28, 28], 3, 2, 1), ([1, 2, 19, 23], 3, 1, 0)] {
            let n = shape.reduce(1, *)
            let data: [Float] = (0..<n).map { _ in
                let r = rng.nextInt(below: 40)
                return r == 0 ? .nan : r == 1 ? -.infinity : Float(r % 3)
            }
            let x = Tensor(shape: shape, data: data)
            let expected = referenceMaxPool(x, kernel: kernel, stride: stride, padding: padding)
            let y = x.maxPool2d(kernel: kernel, stride: stride, padding: padding).data
            let label = "\(level): \(shape) k\(kernel) s\(stride) p\(padding)"
            XCTAssertEqual(y.map { $0.isNaN ? 99 : $0 }, expected.values.map { $0.isNaN ? 99 : $0 }, label)
            // The gradient of Σ y lands on each window's argmax.
            let input = x.requiringGrad()
            input.maxPool2d(kernel: kernel, stride: stride, padding: padding).sum().backward()
            var landed = [Float](repeating: 0, count: n)
            for index in expected.argmax { landed[index] += 1 }
            XCTAssertEqual(input.grad!, landed, label)
        }
    }
}
