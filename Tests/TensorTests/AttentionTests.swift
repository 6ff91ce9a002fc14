// Fused multi-head attention: equal to the composition from primitives (reshape, permute,
// matmul, softmax) in forward, probabilities and every qkv gradient; finite-difference gradients
// (T = 5, 2 heads, head dim 3), attention dropout, and the general scaled dot-product form.

import XCTest
import Foundation
import Tensor

final class AttentionTests: XCTestCase {
    let b = 2, t = 5, heads = 2, dh = 3
    var d: Int { heads * dh }

    func testFusedMatchesComposition() {
        let qkv = randomTensor([b, t, 3 * d], seed: 21, scale: 1.5)
        let upstream = randomTensor([b, t, d], seed: 22).data
        let scale: Float = 1 / Float(dh).squareRoot()

        var rng = RandomGenerator(seed: 0)
        let fusedInput = qkv.detached().requiringGrad()
        let fused = Tensor.multiHeadAttention(qkv: fusedInput, heads: heads, scale: scale, rng: &rng,
                                              keepProbabilities: true)
        fused.output.backward(gradient: upstream)

        let refInput = qkv.detached().requiringGrad()
        let reference = Reference.multiHeadAttention(qkv: refInput, heads: heads, scale: scale)
        reference.output.backward(gradient: upstream)

        XCTAssertEqual(fused.output.shape, [b, t, d])
        XCTAssertEqual(fused.probabilities?.shape, [b, heads, t, t])
        XCTAssertLessThan(maxDifference(fused.output.data, reference.output.data), 1e-5)
        XCTAssertLessThan(maxDifference(fused.probabilities!.data, reference.probabilities.data), 1e-5)
        XCTAssertLessThan(maxDifference(fusedInput.grad!, refInput.grad!), 1e-5)
        // The q, k and v thirds each received a gradient.
        for slot in 0..<3 {
            let part = (0..<(b * t)).flatMap { row in (0..<d).map { fusedInput.grad![row * 3 * d + slot * d + $0] } }
            XCTAssertGreaterThan(part.map { abs($0) }.max()!, 1e-4, "slot \(slot) has no gradient")
        }
        XCTAssertFalse(fused.probabilities!.requiresGrad, "probabilities must be off the tape")
    }

    /// ∂L/∂P handed out by the backward equals the gradient of P as a leaf of the composition.
    func testProbabilityGradientMatchesComposition() {
        let qkv = randomTensor([b, t, 3 * d], seed: 25, scale: 1.5)
        let upstream = randomTensor([b, t, d], seed: 26).data
        let scale: Float = 1 / Float(dh).squareRoot()
        var rng = RandomGenerator(seed: 0)
        let box = AttentionProbabilityGradient()
        let fused = Tensor.multiHeadAttention(qkv: qkv.detached().requiringGrad(), heads: heads, scale: scale,
                                              rng: &rng, probabilityGradient: box)
        XCTAssertNil(box.value, "filled only by the backward")
        fused.output.backward(gradient: upstream)

        let p = Reference.multiHeadAttention(qkv: qkv, heads: heads, scale: scale).probabilities.detached().requiringGrad()
        let v = qkv.reshaped([b, t, 3, heads, dh]).permuted([2, 0, 3, 1, 4]).sliced(axis: 0, 2..<3)
            .reshaped([b, heads, t, dh])
        p.matmul(v).permuted([0, 2, 1, 3]).reshaped([b, t, d]).backward(gradient: upstream)
        XCTAssertEqual(box.value?.shape, [b, heads, t, t])
        XCTAssertLessThan(maxDifference(box.value!.data, p.grad!), 1e-5)
    }

    func testFiniteDifferenceGradients() {
        let qkv = randomTensor([b, t, 3 * d], seed: 23)
        let scale: Float = 1 / Float(dh).squareRoot()
        assertGradient("multiHeadAttention", [qkv], tolerance: 2e-3) {
            var rng = RandomGenerator(seed: 0)
            return Tensor.multiHeadAttention(qkv: $0[0], heads: self.heads, scale: scale, rng: &rng).output
        }
        assertGradient("multiHeadAttention dropout 0.3", [qkv], tolerance: 2e-3) {
            var rng = RandomGenerator(seed: 4)
            return Tensor.multiHeadAttention(qkv: $0[0], heads: self.heads, scale: scale, dropout: 0.3, rng: &rng).output
        }
    }

    func testDropoutChangesOutputButNotProbabilities() {
        let qkv = randomTensor([b, t, 3 * d], seed: 24)
        var rng = RandomGenerator(seed: 1)
        let plain = Tensor.multiHeadAttention(qkv: qkv, heads: heads, scale: 0.5, rng: &rng, keepProbabilities: true)
        let dropped = Tensor.multiHeadAttention(qkv: qkv, heads: heads, scale: 0.5, dropout: 0.5, rng: &rng,
                                                keepProbabilities: true)
        XCTAssertEqual(plain.probabilities!.data, dropped.probabilities!.data)
        XCTAssertGreaterThan(maxDifference(plain.output.data, dropped.output.data), 1e-3)
        // Probability rows sum to one.
        let sums = plain.probabilities!.sum(axis: -1).data
        XCTAssertLessThan(maxDifference(sums, [Float](repeating: 1, count: sums.count)), 1e-5)
    }

    func testScaledDotProductAttention() {
        let q = randomTensor([2, 2, 4, 3], seed: 25), k = randomTensor([2, 2, 6, 3], seed: 26)
        let v = randomTensor([2, 2, 6, 3], seed: 27)
        let result = Tensor.scaledDotProductAttention(query: q, key: k, value: v, scale: 0.6)
        XCTAssertEqual(result.output.shape, [2, 2, 4, 3])
        XCTAssertEqual(result.probabilities.shape, [2, 2, 4, 6])
        // Element [1, 0, 2, :] by hand (batch 1, head 0, query token 2).
        let qBase = ((1 * 2 + 0) * 4 + 2) * 3
        let kvBase = (1 * 2 + 0) * 6 * 3
        var scores = [Float](repeating: 0, count: 6)
        for j in 0..<6 {
            var dot: Float = 0
            for c in 0..<3 { dot += q.data[qBase + c] * k.data[kvBase + j * 3 + c] }
            scores[j] = dot * 0.6
        }
        let m: Float = scores.max()!
        let e: [Float] = scores.map { Foundation.exp($0 - m) }
        let total: Float = e.reduce(0, +)
        var expected = [Float](repeating: 0, count: 3)
        for c in 0..<3 {
            for j in 0..<6 { expected[c] += e[j] / total * v.data[kvBase + j * 3 + c] }
        }
        let got = Array(result.output.data[qBase..<(qBase + 3)])
        XCTAssertLessThan(maxDifference(got, expected), 1e-5)
        assertGradient("scaledDotProductAttention", [q, k, v], tolerance: 2e-3) {
            Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: 0.6).output
        }
    }
}
