// The tape's modes and bookkeeping: no recording inside withoutGrad (and it is restored after,
// even when the body throws), detached() cuts the graph, gradients accumulate across backward
// calls until zeroGrad, and the graph is released after backward.

import XCTest
import Tensor

final class GradModeTests: XCTestCase {
    struct Failure: Error {}

    func testNoTapeInsideWithoutGrad() {
        let x = randomTensor([3], seed: 500).requiringGrad()
        let y = Tensor.withoutGrad { (x * 2).exp().sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        XCTAssertTrue(GradMode.isEnabled)
        // Nested scopes restore the outer state; a throwing body restores it too.
        Tensor.withoutGrad {
            Tensor.withoutGrad { XCTAssertFalse(GradMode.isEnabled) }
            XCTAssertFalse(GradMode.isEnabled)
        }
        XCTAssertThrowsError(try Tensor.withoutGrad { throw Failure() })
        XCTAssertTrue(GradMode.isEnabled)
        let z = (x * 2).sum()
        XCTAssertTrue(z.requiresGrad)
        XCTAssertFalse(z.isLeaf)
    }

    func testDetachedCutsTheGraph() {
        let x = Tensor(shape: [2], data: [1, 3], requiresGrad: true)
        let c = (x * 2).detached()
        XCTAssertFalse(c.requiresGrad)
        (c * x).sum().backward()
        // d/dx (c·x) with c held constant is c = 2x, not the 4x that d(2x·x)/dx would give.
        XCTAssertEqual(x.grad!, [2, 6])
    }

    func testGradientsAccumulateAndZeroGradClears() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad!, [3, 3])
        x.square().sum().backward()
        XCTAssertEqual(x.grad!, [5, 7])   // 3 + 2x
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad!, [3, 3])
    }

    func testLeavesWithoutRequiresGradGetNothing() {
        let w = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        let frozen = Tensor(shape: [2], data: [3, 4])
        (w * frozen).sum().backward()
        XCTAssertEqual(w.grad!, [3, 4])
        XCTAssertNil(frozen.grad)
    }

    func testInteriorGradientsAndGraphReleased() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        let hidden = x * 2
        let loss = hidden.sum()
        loss.backward()
        XCTAssertNil(hidden.grad, "interior gradients are freed, as PyTorch keeps only leaves'")
        XCTAssertTrue(hidden.isLeaf, "the backward closure is released after use")
        XCTAssertEqual(x.grad!, [2, 2])
    }
}
