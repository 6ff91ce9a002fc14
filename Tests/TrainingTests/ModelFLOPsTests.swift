// The analytic FLOP count behind `vittrain bench`'s achieved GFLOP/s: it must count the work the
// model really does, so a last block that carries only the pooled tokens is counted as such.

import XCTest
import Models
import Training

final class ModelFLOPsTests: XCTestCase {
    func testCountsPerBlockAndWhatTheLastBlockSkips() {
        let config = ViTConfig(imageSize: 16, patchSize: 4, numClasses: 5, embedDim: 24, depth: 3, numHeads: 3)
        let (tokens, d, hidden, patchValues) = (17.0, 24.0, 96.0, 48.0)
        let block = tokens * d * 3 * d + 2 * tokens * tokens * d + tokens * d * d + 2 * tokens * d * hidden
        let expected = 2 * (16 * patchValues * d + 3 * block + d * 5)
        XCTAssertEqual(ModelFLOPs.forward(config, tokens: 17), expected, accuracy: 1e-6)
        // proj, fc1 and fc2 on the 16 tokens the last block no longer carries, 2 FLOPs a multiply-add.
        let skipped = ModelFLOPs.forward(config, tokens: 17) - ModelFLOPs.forward(config, tokens: 17, lastBlockTokens: 1)
        XCTAssertEqual(skipped, 2 * (tokens - 1) * (d * d + 2 * d * hidden), accuracy: 1e-6)
        XCTAssertEqual(ModelFLOPs.training(config, tokens: 17, lastBlockTokens: 1),
                       3 * ModelFLOPs.forward(config, tokens: 17, lastBlockTokens: 1))
    }
}
