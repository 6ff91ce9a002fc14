// The Compact Transformer presets (Hassani et al. 2021): parameter counts equal the paper's
// tables (CCT-7/3x1 3.76M, CCT-2/3x2 0.28M, ViT-Lite-7/4 3.72M; the exact figures are the sums of
// the paper code's layer shapes), the tokenizer's grid, and a training step that reaches every
// parameter, with a finite-difference check of the sequence pool.

import Models
import XCTest

final class CompactTransformerTests: XCTestCase {
    func testParameterCountsMatchThePaper() throws {
        for (name, count) in [("cct-7-3x1", 3_760_139), ("cct-2-3x2", 283_723), ("vit-lite-7-4", 3_716_874)] {
            let config = try XCTUnwrap(ViTPresets.config(named: name))
            XCTAssertEqual(VisionTransformer(config: config, seed: 0).parameterCount, count, name)
        }
        XCTAssertEqual(ViTPresets.cct7x3x1.tokenCount, 256)       // 32 → conv 32 → pool 16
        XCTAssertEqual(ViTPresets.cct2x3x2.tokenCount, 64)        // 32 → 16 → 8
        XCTAssertNil(ViTPresets.cct7x3x1.tokenLayout.classIndex)  // explained from the mean of the patch rows
    }

    func testEveryParameterOfATinyCCTGetsAGradient() throws {
        var config = ViTPresets.cct2x3x2
        config.imageSize = 16
        config.embedDim = 16
        config.attnDropRate = 0
        config.dropPathRate = 0
        let model = try VisionTransformer.make(config: config, seed: 1)
        var rng = RandomGenerator(seed: 2)
        let images = Tensor.randn([2, 3, 16, 16], rng: &rng)
        let loss = Tensor.crossEntropy(logits: model(images), targets: [3, 7])
        loss.backward()
        for (path, tensor) in model.namedParameters() {
            let grad = try XCTUnwrap(tensor.grad, path)
            XCTAssertTrue(grad.allSatisfy(\.isFinite), path)
            XCTAssertTrue(grad.contains { $0 != 0 }, "\(path) got a zero gradient")
        }
        XCTAssertTrue(model.namedParameters().contains { $0.path == "patch_embed.tokenizer.convs.0.weight" })
        XCTAssertTrue(model.namedParameters().contains { $0.path == "seq_pool.weight" })
    }

    func testSequencePoolGradient() {
        var config = ViTPresets.cct2x3x2
        config.imageSize = 8
        config.embedDim = 8
        config.depth = 1
        config.attnDropRate = 0
        config.dropPathRate = 0
        config.numClasses = 3
        let model = VisionTransformer(config: config, seed: 3)
        let weight = model.seqPool!.weight
        var rng = RandomGenerator(seed: 4)
        let images = Tensor.randn([2, 3, 8, 8], rng: &rng)
        let result = GradientCheck.run([weight, model.posEmbed], epsilon: 1e-2, maxElements: 32) { _ in model(images) }
        print("gradient check seq pool: \(result)")
        XCTAssertLessThan(result.maxError, 1e-2)
    }
}
