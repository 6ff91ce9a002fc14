// Cross-entropy: values for known logits (with and without label smoothing), agreement with
// the composed −mean(logSoftmax[target]), and finite-difference gradients.

import XCTest
import Foundation
import Tensor

final class CrossEntropyTests: XCTestCase {
    func testKnownValues() {
        // Row 0: logits [0, 0, 0], target 1 → log 3. Row 1: [2, 0, 0], target 0 → log(e²+2) − 2.
        let logits = Tensor(shape: [2, 3], data: [0, 0, 0, 2, 0, 0])
        let nll0 = Foundation.log(Double(3))
        let lse1 = Foundation.log(Foundation.exp(2.0) + 2)
        let nll1 = lse1 - 2
        let plain = Tensor.crossEntropy(logits: logits, targets: [1, 0])
        XCTAssertEqual(Double(plain.item), (nll0 + nll1) / 2, accuracy: 1e-6)

        // ε = 0.1: (1−ε)·NLL + ε·mean_c(−log p_c).
        let eps = 0.1
        let smooth0 = nll0   // uniform logits: every −log p_c is log 3
        let smooth1 = ((lse1 - 2) + lse1 + lse1) / 3
        let expected = ((1 - eps) * nll0 + eps * smooth0 + (1 - eps) * nll1 + eps * smooth1) / 2
        let smoothed = Tensor.crossEntropy(logits: logits, targets: [1, 0], labelSmoothing: 0.1)
        XCTAssertEqual(Double(smoothed.item), expected, accuracy: 1e-6)
    }

    func testMatchesComposedLogSoftmax() {
        let logits = randomTensor([6, 5], seed: 4, scale: 3)
        let targets = [0, 4, 2, 2, 1, 3]
        let fused = Tensor.crossEntropy(logits: logits, targets: targets)
        let logp = logits.logSoftmax()
        let picked = targets.enumerated().map { -logp.data[$0.offset * 5 + $0.element] }
        XCTAssertEqual(fused.item, picked.reduce(0, +) / 6, accuracy: 1e-5)
    }

    func testGradients() {
        let logits = randomTensor([4, 6], seed: 5, scale: 2)
        let targets = [5, 0, 3, 3]
        assertGradient("crossEntropy", [logits], tolerance: 1e-3) {
            Tensor.crossEntropy(logits: $0[0], targets: targets)
        }
        assertGradient("crossEntropy smoothing 0.1", [logits], tolerance: 1e-3) {
            Tensor.crossEntropy(logits: $0[0], targets: targets, labelSmoothing: 0.1)
        }
        // The fused gradient is (softmax − smoothed one-hot) / N.
        let x = logits.detached().requiringGrad()
        Tensor.crossEntropy(logits: x, targets: targets, labelSmoothing: 0.2).backward()
        let p = logits.softmax().data
        for row in 0..<4 {
            for c in 0..<6 {
                let q: Float = (c == targets[row] ? 0.8 : 0) + 0.2 / 6
                XCTAssertEqual(x.grad![row * 6 + c], (p[row * 6 + c] - q) / 4, accuracy: 1e-6)
            }
        }
    }
}
