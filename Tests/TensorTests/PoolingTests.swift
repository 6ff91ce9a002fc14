// Max and average pooling: hand-computed values (padding, count_include_pad) and
// finite-difference gradients on inputs whose values are well apart (so no argmax ties flip).

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
}
