// ∂L/∂P out of the fused attention op (for class-specific relevance): checked by central finite
// differences in Double on L(P) = Σ upstream ⊙ (P·V), perturbing each probability on its own.

import XCTest
import Tensor

final class AttentionProbabilityGradientTests: XCTestCase {
    let b = 2, t = 4, heads = 2, dh = 3
    var d: Int { heads * dh }

    /// L(P) = Σ_{b,i,h,c} up[b, i, h·Dh + c] · Σ_j P[b, h, i, j] · v[b, j, h, c], in Double.
    func loss(_ p: [Double], qkv: [Float], upstream: [Float]) -> Double {
        var total = 0.0
        for bi in 0..<b { for h in 0..<heads { for i in 0..<t { for c in 0..<dh {
            var o = 0.0
            for j in 0..<t {
                o += p[((bi * heads + h) * t + i) * t + j] * Double(qkv[(bi * t + j) * 3 * d + 2 * d + h * dh + c])
            }
            total += Double(upstream[(bi * t + i) * d + h * dh + c]) * o
        } } } }
        return total
    }

    func testProbabilityGradientMatchesFiniteDifferences() {
        let qkv = randomTensor([b, t, 3 * d], seed: 31, scale: 1.2)
        let upstream = randomTensor([b, t, d], seed: 32).data
        let sink = AttentionProbabilityGradient()
        var rng = RandomGenerator(seed: 0)
        let input = qkv.detached().requiringGrad()
        let result = Tensor.multiHeadAttention(qkv: input, heads: heads, scale: 0.5, rng: &rng,
                                               keepProbabilities: true, probabilityGradient: sink)
        XCTAssertNil(sink.value, "filled only by backward")
        result.output.backward(gradient: upstream)
        guard let dP = sink.value else { return XCTFail("backward did not fill the sink") }
        XCTAssertEqual(dP.shape, [b, heads, t, t])

        let p = result.probabilities!.data.map(Double.init)
        let eps = 1e-4
        var worst = 0.0
        for index in 0..<p.count {
            var plus = p, minus = p
            plus[index] += eps
            minus[index] -= eps
            let numeric = (loss(plus, qkv: qkv.data, upstream: upstream) - loss(minus, qkv: qkv.data, upstream: upstream)) / (2 * eps)
            worst = max(worst, abs(numeric - Double(dP.data[index])))
        }
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertGreaterThan(dP.data.map { abs($0) }.max()!, 1e-2, "the gradient is not trivially zero")
    }

    func testWithoutSinkNothingIsStoredAndGradientsAgree() {
        let qkv = randomTensor([b, t, 3 * d], seed: 33)
        let upstream = randomTensor([b, t, d], seed: 34).data
        var grads: [[Float]] = []
        for sink in [nil, AttentionProbabilityGradient()] {
            var rng = RandomGenerator(seed: 0)
            let input = qkv.detached().requiringGrad()
            Tensor.multiHeadAttention(qkv: input, heads: heads, scale: 0.5, rng: &rng, probabilityGradient: sink)
                .output.backward(gradient: upstream)
            grads.append(input.grad!)
        }
        XCTAssertEqual(grads[0], grads[1], "asking for dP must not change the qkv gradient")
    }
}
