// The layers the ViT families add: QuickGELU and tanh GELU (values against their formulas,
// finite-difference gradients), LayerScale and a layer-scaled block (gradients into gamma).

import Foundation
import NN
import XCTest

final class FamilyLayerTests: XCTestCase {
    func testQuickGELUAndTanhGELU() {
        let x = Tensor(shape: [3], data: [1, -1, 2])
        // x·σ(1.702x), as torch computes it in float64
        XCTAssertLessThan(zip(x.quickGELU().data, [0.845796, -0.154204, 1.935659]).map { abs($0 - $1) }.max()!, 1e-5)
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³))): torch.nn.functional.gelu(x, approximate='tanh')
        XCTAssertLessThan(zip(x.geluTanh().data, [0.841192, -0.158808, 1.954598]).map { abs($0 - $1) }.max()!, 1e-5)
        assertGradient("quick_gelu", [randomTensor([4, 6], seed: 2, scale: 2)], tolerance: 1e-3) { $0[0].quickGELU() }
        assertGradient("gelu_tanh", [randomTensor([4, 6], seed: 3, scale: 2)], tolerance: 1e-3) { $0[0].geluTanh() }
    }

    func testLayerScaledBlockGradients() {
        var rng = RandomGenerator(seed: 5)
        let block = Block(dimensions: 8, heads: 2, layerScaleInit: 0.5, activation: .quickGELU,
                          randomSource: RandomSource(seed: 6), rng: &rng)
        XCTAssertEqual(block.namedParameters().map(\.path).filter { $0.hasSuffix("gamma") }, ["ls1.gamma", "ls2.gamma"])
        let gamma = block.ls1!.gamma
        gamma.data = (0..<8).map { 0.1 * Float($0) - 0.3 }
        assertGradient("layer-scaled block", [randomTensor([2, 3, 8], seed: 7), gamma], tolerance: 2e-2) { block($0[0]) }
    }
}
