// A small composed network (linear → GELU → LayerNorm → linear → softmax cross-entropy) trained
// with plain SGD written here, on XOR-arranged clusters (not linearly separable, so the hidden
// layer must work). The loss must fall at least 20× in 200 full-batch steps (it falls ~120×).

import XCTest
import Tensor

final class ToyTrainingTests: XCTestCase {
    func testComposedNetworkLearnsXOR() {
        var rng = RandomGenerator(seed: 600)
        // 4 clusters at (±1, ±1); class = whether the signs differ.
        let perCluster = 16
        var points: [Float] = [], labels: [Int] = []
        for (cx, cy, label) in [(1, 1, 0), (-1, -1, 0), (1, -1, 1), (-1, 1, 1)] as [(Float, Float, Int)] {
            for _ in 0..<perCluster {
                points += [cx + 0.2 * rng.nextNormal(), cy + 0.2 * rng.nextNormal()]
                labels.append(label)
            }
        }
        let x = Tensor(shape: [4 * perCluster, 2], data: points)

        let hidden = 16
        let w1 = (Tensor.randn([hidden, 2], rng: &rng) * 0.5).detached().requiringGrad()
        let b1 = Tensor.zeros([hidden]).requiringGrad()
        let gamma = Tensor.ones([hidden]).requiringGrad()
        let beta = Tensor.zeros([hidden]).requiringGrad()
        let w2 = (Tensor.randn([2, hidden], rng: &rng) * 0.1).detached().requiringGrad()
        let b2 = Tensor.zeros([2]).requiringGrad()
        let parameters = [w1, b1, gamma, beta, w2, b2]

        func loss() -> Tensor {
            let h = (x.matmul(w1, transposeOther: true) + b1).gelu().layerNorm(weight: gamma, bias: beta)
            let logits = h.matmul(w2, transposeOther: true) + b2
            return Tensor.crossEntropy(logits: logits, targets: labels)
        }

        let initial = loss().item
        let learningRate: Float = 0.1
        var final = initial
        for _ in 0..<200 {
            let l = loss()
            final = l.item
            l.backward()
            for p in parameters {
                XCTAssertNotNil(p.grad, "every parameter receives a gradient")
                let g = p.grad!
                for i in 0..<p.count { p.data[i] -= learningRate * g[i] }
                p.zeroGrad()
            }
        }
        final = loss().item
        XCTAssertFalse(final.isNaN)
        XCTAssertGreaterThanOrEqual(initial / final, 20, "loss \(initial) → \(final)")
        print("toy training: loss \(initial) → \(final) (×\(initial / final))")
    }
}
