// The tape's `leafReady` callback, which data-parallel training uses to start a block's gradient
// allreduce during backward: each leaf is reported once, its gradient already final, and leaves
// nearer the loss are reported before the ones that feed the earlier ops.

import XCTest
import Tensor

final class LeafReadyTests: XCTestCase {
    func testEachLeafIsReportedOnceWithItsFinalGradientNearestTheLossFirst() {
        let x = randomTensor([2, 3], seed: 700)
        let w1 = randomTensor([3, 4], seed: 701).requiringGrad()
        let w2 = randomTensor([4, 2], seed: 702).requiringGrad()
        let b = randomTensor([2], seed: 703).requiringGrad()
        // w1 is used twice, so its gradient is only final after both uses have run.
        let h = x.matmul(w1).tanh() + x.matmul(w1)
        let loss = (h.matmul(w2) + b).square().sum()

        var reported: [(Tensor, [Float]?)] = []
        loss.backward(leafReady: { reported.append(($0, $0.grad)) })
        let ids = reported.map { ObjectIdentifier($0.0) }
        XCTAssertEqual(Set(ids).count, ids.count, "a leaf was reported twice")
        XCTAssertEqual(Set(ids), Set([w1, w2, b].map(ObjectIdentifier.init)))
        for (leaf, gradient) in reported { XCTAssertEqual(gradient, leaf.grad, "reported before its gradient was final") }
        let position = { (t: Tensor) in ids.firstIndex(of: ObjectIdentifier(t))! }
        XCTAssertLessThan(position(w2), position(w1))
        XCTAssertLessThan(position(b), position(w1))
    }
}
