// The fused attention kernel (one C call per (batch, head) forward and backward) against the
// three-call reference it replaced (OpenBLAS products around the row softmax): output, the
// probabilities handed to attention maps, ∂L/∂P, and the qkv gradient, fresh and accumulated,
// with and without attention dropout, on ViT shapes and odd ones, at every CPU level.

import XCTest
import Tensor

final class FusedAttentionKernelTests: XCTestCase {
    struct Outcome {
        var output: [Float], probabilities: [Float], probabilityGradient: [Float], gradient: [Float]
    }

    /// Forward and two backward passes (the second adds onto the first's qkv gradient) on `kernel`.
    func run(_ kernel: AttentionKernel, b: Int, t: Int, heads: Int, dh: Int, dropout: Float, seed: UInt64) -> Outcome {
        let previous = AttentionKernel.current
        AttentionKernel.current = kernel
        defer { AttentionKernel.current = previous }
        let d = heads * dh
        let qkv = randomTensor([b, t, 3 * d], seed: seed, scale: 1.5).requiringGrad()
        let upstream = randomTensor([b, t, d], seed: seed + 1).data
        var rng = RandomGenerator(seed: seed + 2)
        let sink = AttentionProbabilityGradient()
        let result = Tensor.multiHeadAttention(qkv: qkv, heads: heads, scale: 1 / Float(dh).squareRoot(),
                                               dropout: dropout, rng: &rng, keepProbabilities: true,
                                               probabilityGradient: sink)
        result.output.backward(gradient: upstream)
        let once = qkv.grad!
        // A second graph on the same leaf: its backward adds into the existing gradient.
        var again = RandomGenerator(seed: seed + 2)
        Tensor.multiHeadAttention(qkv: qkv, heads: heads, scale: 1 / Float(dh).squareRoot(), dropout: dropout,
                                  rng: &again).output.backward(gradient: upstream)
        let twice = qkv.grad!
        XCTAssertLessThan(maxDifference(twice, once.map { 2 * $0 }), 1e-4 * (1 + once.map(abs).max()!),
                          "\(kernel) t \(t) dh \(dh): the second backward must add, not assign")
        return Outcome(output: result.output.data, probabilities: result.probabilities!.data,
                       probabilityGradient: sink.value!.data, gradient: once)
    }

    /// Largest |a − b| / (1 + |b|).
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
    }

    func compare(b: Int, t: Int, heads: Int, dh: Int, dropout: Float, seed: UInt64) {
        let fused = run(.fused, b: b, t: t, heads: heads, dh: dh, dropout: dropout, seed: seed)
        let reference = run(.threeCalls, b: b, t: t, heads: heads, dh: dh, dropout: dropout, seed: seed)
        let label = "B \(b) T \(t) H \(heads) Dh \(dh) dropout \(dropout) at \(CPULevel.current)"
        XCTAssertLessThan(relativeError(fused.output, reference.output), 1e-5, "\(label): output")
        XCTAssertLessThan(relativeError(fused.probabilities, reference.probabilities), 1e-5, "\(label): P")
        XCTAssertLessThan(relativeError(fused.probabilityGradient, reference.probabilityGradient), 1e-5, "\(label): ∂L/∂P")
        XCTAssertLessThan(relativeError(fused.gradient, reference.gradient), 1e-5, "\(label): qkv gradient")
    }

    /// ViT-Tiny 32/4 (65 tokens, 3 heads of 64), ViT-B/16 (197 tokens), a register model's 261,
    /// CCT's 16 tokens of 32, and sizes off every vector width.
    func testMatchesThreeCallReferenceAtEveryLevel() {
        let shapes = [(2, 65, 3, 64), (1, 197, 2, 64), (1, 261, 1, 64), (3, 16, 2, 32), (2, 1, 2, 8),
                      (2, 5, 2, 3), (1, 17, 3, 80), (1, 31, 1, 1), (1, 33, 2, 17)]
        forEachCPULevel { _ in
            var seed: UInt64 = 40
            for (b, t, heads, dh) in shapes {
                for dropout: Float in [0, 0.25] {
                    compare(b: b, t: t, heads: heads, dh: dh, dropout: dropout, seed: seed)
                    seed += 5
                }
            }
        }
    }

    /// Softmax rows whose scores differ by hundreds (saturated attention) stay finite and exact.
    func testLargeScoresStayFinite() {
        let fused = run(.fused, b: 1, t: 9, heads: 1, dh: 4, dropout: 0, seed: 3)
        XCTAssertTrue(fused.output.allSatisfy(\.isFinite))
        let saturated = { (kernel: AttentionKernel) -> [Float] in
            let previous = AttentionKernel.current
            AttentionKernel.current = kernel
            defer { AttentionKernel.current = previous }
            var rng = RandomGenerator(seed: 0)
            let qkv = randomTensor([1, 9, 12], seed: 8, scale: 40)
            return Tensor.multiHeadAttention(qkv: qkv, heads: 1, scale: 0.5, rng: &rng, keepProbabilities: true)
                .probabilities!.data
        }
        let p = saturated(.fused)
        XCTAssertTrue(p.allSatisfy(\.isFinite))
        XCTAssertLessThan(relativeError(p, saturated(.threeCalls)), 1e-5)
    }
}
