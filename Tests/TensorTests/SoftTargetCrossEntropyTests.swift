// Soft-target cross-entropy: equals the hard-label op for one-hot (and smoothed one-hot) targets,
// a hand value for a mixed target, and finite-difference gradients (also for rows not summing to 1).

import XCTest
import Foundation
import Tensor

final class SoftTargetCrossEntropyTests: XCTestCase {
    func testMatchesHardLabelsForOneHotAndSmoothedTargets() {
        let logits = randomTensor([5, 4], seed: 8, scale: 2)
        let labels = [3, 0, 1, 1, 2]
        for eps: Float in [0, 0.1] {
            var targets = [Float](repeating: eps / 4, count: 20)
            for (row, label) in labels.enumerated() { targets[row * 4 + label] += 1 - eps }
            let soft = Tensor.softTargetCrossEntropy(logits: logits, targets: targets)
            let hard = Tensor.crossEntropy(logits: logits, targets: labels, labelSmoothing: eps)
            XCTAssertEqual(soft.item, hard.item, accuracy: 1e-5, "ε = \(eps)")
        }
    }

    func testKnownValue() {
        // Row [0, ln 3]: p = [1/4, 3/4]; target [0.5, 0.5] → −½ ln ¼ − ½ ln ¾.
        let logits = Tensor(shape: [1, 2], data: [0, Float(Foundation.log(3.0))])
        let loss = Tensor.softTargetCrossEntropy(logits: logits, targets: [0.5, 0.5])
        XCTAssertEqual(Double(loss.item), -0.5 * Foundation.log(0.25) - 0.5 * Foundation.log(0.75), accuracy: 1e-6)
    }

    func testGradients() {
        let logits = randomTensor([4, 6], seed: 6, scale: 2)
        var rng = RandomGenerator(seed: 2)
        var mixed = (0..<24).map { _ in rng.nextFloat() }
        for row in 0..<4 {
            let sum = mixed[(row * 6)..<(row * 6 + 6)].reduce(0, +)
            for c in 0..<6 { mixed[row * 6 + c] /= sum }
        }
        assertGradient("softTargetCrossEntropy", [logits], tolerance: 1e-3) {
            Tensor.softTargetCrossEntropy(logits: $0[0], targets: mixed)
        }
        let unnormalised = mixed.map { $0 * 1.7 }
        assertGradient("softTargetCrossEntropy, rows summing to 1.7", [logits], tolerance: 1e-3) {
            Tensor.softTargetCrossEntropy(logits: $0[0], targets: unnormalised)
        }
    }
}
