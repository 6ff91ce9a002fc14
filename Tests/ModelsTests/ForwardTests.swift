// The ViT forward pass: output shapes, attention capture (chosen layers, CLS rows), every
// parameter receiving a finite non-zero gradient, drop path ramp, head reset.

import XCTest
import Models

final class ForwardTests: XCTestCase {
    func testOutputsAndAttentionCapture() {
        let model = VisionTransformer(config: smallConfig(depth: 3), seed: 5)
        let images = randomImages([2, 3, 16, 16], seed: 6)
        let full = model.forward(images, capture: AttentionCaptureRequest())
        XCTAssertEqual(full.logits.shape, [2, 5])
        XCTAssertEqual(full.features.shape, [2, 24])
        XCTAssertEqual(full.tokens.shape, [2, 17, 24])
        XCTAssertEqual(Set(full.attentions.keys), [0, 1, 2])
        XCTAssertEqual(full.attentions[1]!.shape, [2, 3, 17, 17])
        XCTAssertFalse(full.attentions[1]!.requiresGrad)
        // features is the CLS row of tokens.
        XCTAssertEqual(Array(full.tokens.data[0..<24]), Array(full.features.data[0..<24]))

        let rows = model.forward(images, capture: AttentionCaptureRequest(layers: [2], queryRowsOnly: true))
        XCTAssertEqual(Array(rows.attentions.keys), [2])
        let cls = rows.attentions[2]!
        XCTAssertEqual(cls.shape, [2, 3, 1, 17])
        for item in 0..<6 {
            XCTAssertEqual(Array(cls.data[(item * 17)..<(item * 17 + 17)]),
                           Array(full.attentions[2]!.data[(item * 17 * 17)..<(item * 17 * 17 + 17)]))
        }
        XCTAssertEqual(rows.logits.data, full.logits.data)
        XCTAssertTrue(model.forward(images).attentions.isEmpty)
        // model(images) carries only the class token through the last block's proj and MLP: the
        // same sums over fewer rows, which may round differently in the last bit.
        for (mine, theirs) in zip(model(images).data, full.logits.data) { XCTAssertEqual(mine, theirs, accuracy: 1e-6) }
    }

    func testEveryParameterGetsAFiniteNonZeroGradient() {
        var config = smallConfig(depth: 2)
        config.dropRate = 0.1
        config.dropPathRate = 0.1
        config.attnDropRate = 0.1
        let model = VisionTransformer(config: config, seed: 7)
        // Move the zero-initialised biases and the tiny cls token so no gradient is trivially zero.
        var rng = RandomGenerator(seed: 8)
        for (_, p) in model.namedParameters() { for i in 0..<p.count { p.data[i] += 0.05 * rng.nextNormal() } }
        model.setTraining(true)
        let images = randomImages([4, 3, 16, 16], seed: 9)
        let loss = Tensor.crossEntropy(logits: model(images), targets: [0, 1, 2, 3])
        loss.backward()
        XCTAssertTrue(loss.item.isFinite)
        for (path, p) in model.namedParameters() {
            guard let g = p.grad else { XCTFail("\(path): no gradient"); continue }
            XCTAssertTrue(g.allSatisfy { $0.isFinite }, "\(path): non-finite gradient")
            XCTAssertGreaterThan(g.map(abs).max()!, 0, "\(path): zero gradient")
        }
    }

    func testDropPathRisesLinearlyAndTrainingModeReachesEveryLayer() {
        var config = smallConfig(depth: 5)
        config.dropPathRate = 0.2
        let model = VisionTransformer(config: config, seed: 1)
        XCTAssertEqual(model.blocks.modules.map { $0.dropPath1.probability }, [0, 0.05, 0.1, 0.15, 0.2])
        model.setTraining(true)
        XCTAssertTrue(model.blocks[4].dropPath2.isTraining && model.headDrop.isTraining && model.posDrop.isTraining)
        // In training, dropout and drop path make two passes differ; in evaluation they agree.
        config.dropRate = 0.1
        let model2 = VisionTransformer(config: config, seed: 1)
        model2.setTraining(true)
        let images = randomImages([2, 3, 16, 16], seed: 2)
        XCTAssertNotEqual(model2(images).data, model2(images).data)
        model2.setTraining(false)
        XCTAssertEqual(model2(images).data, model2(images).data)
    }

    func testInputShapeCheck() throws {
        let model = VisionTransformer(config: smallConfig(), seed: 1)
        XCTAssertNoThrow(try model.checkInput(shape: [4, 3, 16, 16]))
        XCTAssertThrowsError(try model.checkInput(shape: [4, 1, 28, 28])) { error in
            XCTAssertEqual("\(error)", "images: shape [4, 1, 28, 28], the model expects [B, 3, 16, 16]")
        }
    }

    func testResetHead() {
        let model = VisionTransformer(config: smallConfig(), seed: 1)
        model.resetHead(numClasses: 7, seed: 4)
        XCTAssertEqual(model.head!.weight.shape, [7, 24])
        XCTAssertEqual(model.config.numClasses, 7)
        XCTAssertEqual(model(randomImages([1, 3, 16, 16], seed: 3)).shape, [1, 7])
        XCTAssertEqual(model.namedParameters().last!.path, "head.bias")
        // No classes: timm's Identity head, the logits are the features and there is no head.*.
        model.resetHead(numClasses: 0, seed: 5)
        let out = model.forward(randomImages([2, 3, 16, 16], seed: 3))
        XCTAssertEqual(out.logits.data, out.features.data)
        XCTAssertFalse(model.namedParameters().contains { $0.path.hasPrefix("head.") })
        let headless = VisionTransformer(config: smallConfig(classes: 0), seed: 1)
        XCTAssertEqual(headless.parameterCount, model.parameterCount)
    }
}
