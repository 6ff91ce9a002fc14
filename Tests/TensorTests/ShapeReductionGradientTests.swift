// Finite-difference gradients and values of the existing reductions (sum/mean over all, one
// axis, several axes, keepDims both ways) and shape ops (reshape, permute rank 3 and 4,
// transpose, slice, concatenate, broadcast(to:)). Tolerance 1e-3.

import XCTest
import Tensor

final class ShapeReductionGradientTests: XCTestCase {
    func testReductionValues() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.sum().item, 21)
        XCTAssertEqual(x.mean().item, 3.5)
        XCTAssertEqual(x.sum(axis: 0).data, [5, 7, 9])
        XCTAssertEqual(x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.mean(axis: -1).data, [2, 5])
        XCTAssertEqual(x.sum(axes: [0, 1]).shape, [])
        XCTAssertEqual(x.sum(axes: [0, 1], keepDims: true).data, [21])
    }

    func testReductionGradients() {
        let x = randomTensor([2, 3, 4], seed: 400)
        assertGradient("sum all", [x], tolerance: 1e-3) { $0[0].sum() }
        assertGradient("mean all", [x], tolerance: 1e-3) { $0[0].mean() }
        for keep in [false, true] {
            assertGradient("sum axis 1 keep \(keep)", [x], tolerance: 1e-3) { $0[0].sum(axis: 1, keepDims: keep) }
            assertGradient("mean axis -1 keep \(keep)", [x], tolerance: 1e-3) { $0[0].mean(axis: -1, keepDims: keep) }
            assertGradient("sum axes [0,2] keep \(keep)", [x], tolerance: 1e-3) { $0[0].sum(axes: [0, 2], keepDims: keep) }
            assertGradient("mean axes [0,1] keep \(keep)", [x], tolerance: 1e-3) { $0[0].mean(axes: [0, 1], keepDims: keep) }
        }
    }

    func testShapeOpValues() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transposed().data, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(x.reshaped([3, -1]).shape, [3, 2])
        XCTAssertEqual(x.sliced(axis: 1, 1..<3).data, [2, 3, 5, 6])
        XCTAssertEqual(Tensor.concatenate([x, x.sliced(axis: 1, 0..<1)], axis: 1).data, [1, 2, 3, 1, 4, 5, 6, 4])
        XCTAssertEqual(Tensor(shape: [2, 1], data: [7, 8]).broadcast(to: [2, 2, 2]).data, [7, 7, 8, 8, 7, 7, 8, 8])
        let y = Tensor(shape: [2, 3, 4], data: (0..<24).map { Float($0) }).permuted([2, 0, 1])
        XCTAssertEqual(y.shape, [4, 2, 3])
        XCTAssertEqual(Array(y.data[0..<6]), [0, 4, 8, 12, 16, 20])
        XCTAssertEqual(y.data[6], 1)
    }

    func testShapeOpGradients() {
        let x = randomTensor([2, 3, 4], seed: 401)
        let x4 = randomTensor([2, 3, 2, 4], seed: 402)
        assertGradient("reshaped", [x], tolerance: 1e-3) { $0[0].reshaped([6, -1]) }
        assertGradient("permuted rank 3", [x], tolerance: 1e-3) { $0[0].permuted([2, 0, 1]) }
        assertGradient("permuted rank 4", [x4], tolerance: 1e-3) { $0[0].permuted([0, 2, 3, 1]) }
        assertGradient("permuted rank 4 reverse", [x4], tolerance: 1e-3) { $0[0].permuted([3, 2, 1, 0]) }
        assertGradient("transposed", [x], tolerance: 1e-3) { $0[0].transposed() }
        assertGradient("transposed 0,2", [x], tolerance: 1e-3) { $0[0].transposed(0, 2) }
        assertGradient("sliced", [x], tolerance: 1e-3) { $0[0].sliced(axis: 1, 1..<3) }
        // Two overlapping slices of the same input both accumulate.
        assertGradient("sliced twice", [x], tolerance: 1e-3) { $0[0].sliced(axis: 2, 0..<3) + $0[0].sliced(axis: 2, 1..<4) }
        let a = randomTensor([2, 1, 4], seed: 403), b = randomTensor([2, 2, 4], seed: 404)
        assertGradient("concatenate", [x, a, b], tolerance: 1e-3) { Tensor.concatenate([$0[0], $0[1], $0[2]], axis: 1) }
        assertGradient("concatenate last axis", [x, x], tolerance: 1e-3) { Tensor.concatenate([$0[0], $0[1]], axis: -1) }
        let small = randomTensor([3, 1], seed: 405)
        assertGradient("broadcast(to:)", [small], tolerance: 1e-3) { $0[0].broadcast(to: [2, 3, 4]) }
        assertGradient("broadcast(to:) general", [a], tolerance: 1e-3) { $0[0].broadcast(to: [2, 3, 4]) }
    }
}
