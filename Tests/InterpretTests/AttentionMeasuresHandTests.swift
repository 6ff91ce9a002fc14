// Attention measures on tiny hand-built maps whose answers follow from the definitions.

import XCTest
import Interpret

final class AttentionMeasuresHandTests: XCTestCase {
    /// [1, heads, T, T] maps from a per-head row function.
    func maps(heads: Int, tokens t: Int, _ value: (Int, Int, Int) -> Float) -> Tensor {
        var data = [Float]()
        for h in 0..<heads { for i in 0..<t { for j in 0..<t { data.append(value(h, i, j)) } } }
        return Tensor(shape: [1, heads, t, t], data: data)
    }

    func testIdentityAttentionRolloutIsOneHotOnCLS() throws {
        let identity = maps(heads: 2, tokens: 5) { _, i, j in i == j ? 1 : 0 }
        let rollout = try AttentionRollout()
        // CLS attends only to itself in every layer: nothing flows from the patches.
        XCTAssertEqual(try rollout.clsMap([identity, identity, identity]).data, [0, 0, 0, 0])
        let r = try rollout.matrix([identity, identity])
        for i in 0..<5 { for j in 0..<5 { XCTAssertEqual(r.data[i * 5 + j], i == j ? 1 : 0, accuracy: 1e-7) } }
    }

    func testUniformAttentionRollout() throws {
        // One layer of uniform attention over T = 5: Â = (U + I)/2, so the CLS row over the
        // patches is 1/(2·5) each; two layers: Â² with U² = U gives (3U + I)/4 → 3/20 per patch.
        let uniform = maps(heads: 3, tokens: 5) { _, _, _ in 0.2 }
        let one = try AttentionRollout().clsMap([uniform])
        for v in one.data { XCTAssertEqual(v, 0.1, accuracy: 1e-7) }
        let two = try AttentionRollout().clsMap([uniform, uniform])
        for v in two.data { XCTAssertEqual(v, 0.15, accuracy: 1e-7) }
        // Starting at layer 1 of two layers is the one-layer result.
        XCTAssertEqual(try AttentionRollout(startLayer: 1).clsMap([uniform, uniform]).data, one.data)
    }

    func testHeadFusionAndDiscardByHand() throws {
        // T = 3 (CLS + 2 patches). Head 0 sends CLS to patch 1, head 1 to patch 2.
        let a = maps(heads: 2, tokens: 3) { h, i, j in
            if i == 0 { return j == 1 + h ? 1 : 0 }
            return i == j ? 1 : 0
        }
        // mean: CLS row (0, .5, .5) + I → (1, .5, .5)/2 → patches .25 each.
        XCTAssertEqual(try AttentionRollout(fusion: .mean).clsMap([a]).data, [0.25, 0.25])
        // max: (0, 1, 1) + I → (1, 1, 1)/3.
        for v in try AttentionRollout(fusion: .max).clsMap([a]).data { XCTAssertEqual(v, 1 / 3, accuracy: 1e-7) }
        // min: (0, 0, 0) + I → CLS keeps everything.
        XCTAssertEqual(try AttentionRollout(fusion: .min).clsMap([a]).data, [0, 0])

        // Discard: patch rows (0.9, 0.1) and (0.3, 0.7) in the patch block; ratio 0.5 zeroes the two
        // smallest patch→patch entries (0.1 and 0.3), never the CLS row/column.
        let b = Tensor(shape: [1, 1, 3, 3], data: [0.2, 0.4, 0.4,
                                                   0.0, 0.9, 0.1,
                                                   0.0, 0.3, 0.7])
        let m = try AttentionRollout(discardRatio: 0.5).matrix([b])
        let expected: [Float] = [1.2 / 2, 0.4 / 2, 0.4 / 2,
                                 0, 1, 0,
                                 0, 0, 1]
        for (x, e) in zip(m.data, expected) { XCTAssertEqual(x, e, accuracy: 1e-6) }
    }

    func testBadRolloutOptionsAreErrors() {
        XCTAssertThrowsError(try AttentionRollout(discardRatio: 1))
        XCTAssertThrowsError(try AttentionRollout(discardRatio: -0.1))
        XCTAssertThrowsError(try AttentionRollout(startLayer: 3).clsMap([Tensor.full([1, 1, 3, 3], 1 / 3)]))
        XCTAssertThrowsError(try AttentionRollout().clsMap([]))
        XCTAssertThrowsError(try AttentionRollout().clsMap([Tensor.full([1, 1, 3, 3], 1 / 3), Tensor.full([1, 1, 4, 4], 0.25)]))
    }

    func testEntropyByHand() {
        // Uniform rows over T: ln T. One-hot rows: 0.
        let uniform = maps(heads: 2, tokens: 5) { _, _, _ in 0.2 }
        for v in AttentionMeasures.clsEntropy(uniform).data { XCTAssertEqual(v, log(5), accuracy: 1e-6) }
        for v in AttentionMeasures.meanRowEntropy(uniform).data { XCTAssertEqual(v, log(5), accuracy: 1e-6) }
        let oneHot = maps(heads: 1, tokens: 5) { _, i, j in i == j ? 1 : 0 }
        XCTAssertEqual(AttentionMeasures.meanRowEntropy(oneHot).data, [0])
        // CLS row (½, ½, 0, 0, 0), other rows one-hot: CLS entropy ln 2, row mean ln 2 / 5.
        let half = maps(heads: 1, tokens: 5) { _, i, j in i == 0 ? (j < 2 ? 0.5 : 0) : (i == j ? 1 : 0) }
        XCTAssertEqual(AttentionMeasures.clsEntropy(half).data[0], Float(log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(AttentionMeasures.meanRowEntropy(half).data[0], Float(log(2.0) / 5), accuracy: 1e-6)
    }

    func testMeanAttentionDistanceByHand() {
        // 2×2 grid. Each patch attending to itself: distance 0.
        let selfOnly = maps(heads: 1, tokens: 5) { _, i, j in i == j ? 1 : 0 }
        XCTAssertEqual(AttentionMeasures.meanAttentionDistance(selfOnly, gridHeight: 2, gridWidth: 2).data, [0])
        // Patch i attends to the diagonally opposite patch (3 − i): √2 each. CLS mass is ignored
        // because the patch part is renormalised: half the row on CLS changes nothing.
        let opposite = maps(heads: 1, tokens: 5) { _, i, j in
            i == 0 ? 0.2 : (j == 0 ? 0.5 : (j - 1 == 3 - (i - 1) ? 0.5 : 0))
        }
        XCTAssertEqual(AttentionMeasures.meanAttentionDistance(opposite, gridHeight: 2, gridWidth: 2).data[0],
                       Float(2.0.squareRoot()), accuracy: 1e-6)
        // Uniform over the 4 patches: per query (0 + 1 + 1 + √2)/4.
        let uniform = maps(heads: 1, tokens: 5) { _, _, _ in 0.2 }
        XCTAssertEqual(AttentionMeasures.meanAttentionDistance(uniform, gridHeight: 2, gridWidth: 2).data[0],
                       Float((2 + 2.0.squareRoot()) / 4), accuracy: 1e-6)
    }

    func testCLSMapsHeadMeanAndOrdering() {
        let a = maps(heads: 2, tokens: 3) { h, i, j in Float(100 * h + 10 * i + j) }
        XCTAssertEqual(AttentionMeasures.clsToPatch(a).data, [1, 2, 101, 102])
        XCTAssertEqual(AttentionMeasures.headMean(AttentionMeasures.clsToPatch(a)).data, [51, 52])
        let ordered = AttentionMeasures.ordered([2: Tensor(3), 0: Tensor(1), 1: Tensor(2)])
        XCTAssertEqual(ordered.map(\.item), [1, 2, 3])
    }
}
