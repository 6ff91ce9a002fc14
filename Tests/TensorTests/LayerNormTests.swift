// LayerNorm: the fused kernel against the reference composed from primitives (forward and every
// gradient), normalised statistics, and finite-difference gradients with and without affine.

import XCTest
import Tensor

final class LayerNormTests: XCTestCase {
    func testNormalisedRowsHaveZeroMeanUnitVariance() {
        let x = randomTensor([5, 16], seed: 6, scale: 4) + 3
        let y = x.layerNorm(weight: nil, bias: nil, eps: 1e-6)
        for r in 0..<5 {
            let row = Array(y.data[(r * 16)..<((r + 1) * 16)])
            let mean = row.reduce(0, +) / 16
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 16
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-4)
        }
    }

    func testFusedMatchesReference() {
        let x = randomTensor([2, 3, 8], seed: 7, scale: 2)
        let w = randomTensor([8], seed: 8) + 1
        let b = randomTensor([8], seed: 9)
        let upstream = randomTensor([2, 3, 8], seed: 10).data
        func run(_ fused: Bool) -> (out: [Float], dx: [Float], dw: [Float], db: [Float]) {
            let xi = x.detached().requiringGrad(), wi = w.detached().requiringGrad(), bi = b.detached().requiringGrad()
            let y = fused ? xi.layerNorm(weight: wi, bias: bi, eps: 1e-5)
                          : Reference.layerNorm(xi, weight: wi, bias: bi, eps: 1e-5)
            y.backward(gradient: upstream)
            return (y.data, xi.grad!, wi.grad!, bi.grad!)
        }
        let f = run(true), r = run(false)
        XCTAssertLessThan(maxDifference(f.out, r.out), 1e-5)
        XCTAssertLessThan(maxDifference(f.dx, r.dx), 1e-4)
        XCTAssertLessThan(maxDifference(f.dw, r.dw), 1e-4)
        XCTAssertLessThan(maxDifference(f.db, r.db), 1e-5)
    }

    func testGradients() {
        let x = randomTensor([3, 2, 6], seed: 11)
        let w = randomTensor([6], seed: 12) + 1
        let b = randomTensor([6], seed: 13)
        assertGradient("layerNorm affine", [x, w, b], tolerance: 1e-3) { $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-5) }
        assertGradient("layerNorm plain", [x], tolerance: 1e-3) { $0[0].layerNorm(weight: nil, bias: nil, eps: 1e-5) }
        assertGradient("layerNorm reference", [x, w, b], tolerance: 1e-3) {
            Reference.layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-5)
        }
    }
}
