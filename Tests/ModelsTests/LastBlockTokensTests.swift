// A model that pools its leading tokens runs its last block past the attention on those tokens
// alone when only the logits are asked for (VisionTransformer.callAsFunction). The logits, the
// loss and every gradient must match the forward over all tokens; models that pool all tokens,
// or whose last block draws dropout after the attention, must keep every token.

import XCTest
import Models

private func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = max(b.map(abs).max() ?? 0, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// Parameters moved off their initial values (zero biases, the tiny cls token) so no gradient is
/// trivially zero, the same way for every model built with the same seed.
private func perturbed(_ model: VisionTransformer, seed: UInt64) -> VisionTransformer {
    var rng = RandomGenerator(seed: seed)
    for (_, p) in model.namedParameters() { for i in 0..<p.count { p.data[i] += 0.05 * rng.nextNormal() } }
    return model
}

final class LastBlockTokensTests: XCTestCase {
    private func configs() -> [(String, ViTConfig)] {
        var distilled = smallConfig(depth: 3)
        distilled.distilled = true
        var registers = smallConfig(depth: 2)
        registers.registerTokens = 2
        var scaled = smallConfig(depth: 2)
        scaled.layerScaleInit = 0.1
        return [("class token", smallConfig(depth: 3)), ("distilled", distilled), ("registers", registers),
                ("layer scale", scaled)]
    }

    func testLogitsMatchTheForwardOverAllTokens() {
        for (label, config) in configs() {
            let model = perturbed(VisionTransformer(config: config, seed: 3), seed: 4)
            XCTAssertEqual(model.lastBlockCarriedTokens, config.distilled ? 2 : 1, label)
            let images = randomImages([3, 3, 16, 16], seed: 5)
            let all = model.forward(images)
            let leading = model.forward(images, allTokens: false)
            XCTAssertEqual(leading.tokens.shape, [3, config.distilled ? 2 : 1, 24], label)
            XCTAssertLessThan(maxRelativeDifference(model(images).data, all.logits.data), 1e-5, label)
            XCTAssertLessThan(maxRelativeDifference(leading.features.data, all.features.data), 1e-5, label)
            // The carried tokens are the full forward's leading tokens.
            let count = leading.tokens.shape[1]
            XCTAssertLessThan(maxRelativeDifference(leading.tokens.data,
                                                    all.tokens.sliced(axis: 1, 0..<count).data), 1e-5, label)
        }
    }

    func testTrainingLossAndEveryGradientMatch() {
        for (label, base) in configs() {
            var config = base
            config.dropPathRate = 0.3      // drop path draws per sample: still token-independent
            let carried = perturbed(VisionTransformer(config: config, seed: 11), seed: 12)
            let reference = perturbed(VisionTransformer(config: config, seed: 11), seed: 12)
            carried.setTraining(true)
            reference.setTraining(true)
            XCTAssertNotNil(carried.lastBlockCarriedTokens, label)
            let images = randomImages([4, 3, 16, 16], seed: 13)
            let targets = [0, 1, 2, 3]
            let lossA = Tensor.crossEntropy(logits: carried(images), targets: targets)
            let lossB = Tensor.crossEntropy(logits: reference.forward(images).logits, targets: targets)
            lossA.backward()
            lossB.backward()
            XCTAssertEqual(lossA.item, lossB.item, accuracy: 1e-5 * max(1, abs(lossB.item)), label)
            for ((path, a), (_, b)) in zip(carried.namedParameters(), reference.namedParameters()) {
                // A distilled model trains its class head alone: head_dist gets no gradient in either.
                XCTAssertEqual(a.grad == nil, b.grad == nil, "\(label) \(path): gradient presence")
                guard let ga = a.grad, let gb = b.grad else { continue }
                XCTAssertLessThan(maxRelativeDifference(ga, gb), 1e-4, "\(label) \(path)")
            }
        }
    }

    func testModelsThatNeedEveryTokenKeepThemAll() {
        var averaged = smallConfig(depth: 2)
        averaged.globalPool = .avg
        averaged.classToken = false
        let avgModel = VisionTransformer(config: averaged, seed: 1)
        XCTAssertNil(avgModel.lastBlockCarriedTokens)
        let images = randomImages([2, 3, 16, 16], seed: 2)
        XCTAssertEqual(avgModel.forward(images, allTokens: false).tokens.shape, [2, 16, 24])

        // Dropout after the attention draws one number per element: in training, every token stays.
        var dropping = smallConfig(depth: 2)
        dropping.dropRate = 0.1
        let model = VisionTransformer(config: dropping, seed: 1)
        XCTAssertEqual(model.lastBlockCarriedTokens, 1)      // evaluation: dropout is the identity
        model.setTraining(true)
        XCTAssertNil(model.lastBlockCarriedTokens)
        XCTAssertEqual(model.forward(images, allTokens: false).tokens.shape, [2, 17, 24])
    }
}
