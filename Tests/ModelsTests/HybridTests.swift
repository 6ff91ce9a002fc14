// The hybrid ViT (conv backbone → 1×1 proj → tokens → encoder): paths, shapes, gradient checks
// through its conv path, and a short training run on a fixed synthetic batch.

import Foundation
import XCTest
import Models

final class HybridTests: XCTestCase {
    /// 8×8 images, a 3×3 stem and one basic stage at stride 2 → a 4×4 grid.
    func tinyHybrid(norm: HybridBackboneConfig.NormType) -> ViTConfig {
        ViTConfig(imageSize: 8, patchSize: 1, inChannels: 3, numClasses: 3, embedDim: 8, depth: 1, numHeads: 2,
                  hybrid: HybridBackboneConfig(stemChannels: 4, stemKernel: 3, stemStride: 1, stemPool: false,
                                               stages: [.init(blocks: 1, channels: 8, stride: 2)],
                                               blockType: .basic, norm: norm, groupNormGroups: 2))
    }

    func testPathsAndShapes() {
        let model = VisionTransformer(config: tinyHybrid(norm: .batch), seed: 1)
        let paths = model.stateEntries().map(\.path)
        XCTAssertEqual(Array(paths.prefix(9)), [
            "cls_token", "pos_embed",
            "patch_embed.backbone.stem.conv.weight", "patch_embed.backbone.stem.norm.weight",
            "patch_embed.backbone.stem.norm.bias",
            "patch_embed.backbone.stages.0.0.conv1.weight", "patch_embed.backbone.stages.0.0.norm1.weight",
            "patch_embed.backbone.stages.0.0.norm1.bias", "patch_embed.backbone.stages.0.0.conv2.weight",
        ])
        XCTAssertTrue(paths.contains("patch_embed.backbone.stages.0.0.downsample.conv.weight"))
        XCTAssertTrue(paths.contains("patch_embed.backbone.stem.norm.running_mean"))
        XCTAssertTrue(paths.contains("patch_embed.backbone.stages.0.0.norm2.num_batches_tracked"))
        XCTAssertEqual(model.patchEmbed.proj.weight.shape, [8, 8, 1, 1])
        XCTAssertEqual(model.posEmbed.shape, [1, 17, 8])
        let out = model.forward(randomImages([2, 3, 8, 8], seed: 2), capture: AttentionCaptureRequest())
        XCTAssertEqual(out.logits.shape, [2, 3])
        XCTAssertEqual(out.attentions[0]!.shape, [2, 2, 17, 17])

        let preset = ViTPresets.config(named: "hybrid-tiny")!
        let backbone = HybridBackbone(config: preset.hybrid!, inChannels: 3, rng: &rngForTest)
        XCTAssertEqual(backbone(randomImages([1, 3, 32, 32], seed: 3)).shape, [1, 128, 8, 8])
    }

    func testGradientCheckThroughConvPath() {
        let model = VisionTransformer(config: tinyHybrid(norm: .group), seed: 4)
        var rng = RandomGenerator(seed: 5)
        for (_, p) in model.namedParameters() { for i in 0..<p.count { p.data[i] += 0.1 * rng.nextNormal() } }
        let images = randomImages([2, 3, 8, 8], seed: 6)
        let backbone = model.patchEmbed.backbone!
        let block = backbone.stages[0][0]
        let inputs = [images, backbone.stem.conv.weight, block.layers[0].conv.weight, block.layers[1].conv.weight,
                      block.downsample!.conv.weight, model.patchEmbed.proj.weight, model.patchEmbed.proj.bias!]
        let result = GradientCheck.run(inputs, epsilon: 1e-2, maxElements: 24) { _ in model(images) }
        print("hybrid gradient check: \(result)")
        XCTAssertLessThan(result.maxError, 2e-2, "\(result)")
    }

    /// 30 Adam steps on a fixed batch of 8 synthetic images (a bright quadrant per class, plus
    /// noise), from three different initialisations: the loss must at least halve each time.
    func testBatchNormBackboneTrains() {
        let config = ViTConfig(imageSize: 8, patchSize: 1, inChannels: 3, numClasses: 4, embedDim: 16, depth: 1, numHeads: 2,
                               hybrid: HybridBackboneConfig(stemChannels: 8, stemKernel: 3, stemStride: 1, stemPool: false,
                                                            stages: [.init(blocks: 1, channels: 16, stride: 2)],
                                                            blockType: .basic, norm: .batch))
        var rng = RandomGenerator(seed: 8)
        var pixels = [Float](repeating: 0, count: 8 * 3 * 8 * 8)
        var targets: [Int] = []
        for n in 0..<8 {
            let label = n % 4
            targets.append(label)
            for c in 0..<3 {
                for y in 0..<8 {
                    for x in 0..<8 {
                        let inQuadrant = (y / 4) * 2 + (x / 4) == label
                        pixels[((n * 3 + c) * 8 + y) * 8 + x] = (inQuadrant ? 1.5 : 0) + 0.3 * rng.nextNormal()
                    }
                }
            }
        }
        let images = Tensor(shape: [8, 3, 8, 8], data: pixels)
        for seed: UInt64 in [7, 17, 27] {
            let model = VisionTransformer(config: config, seed: seed)
            model.setTraining(true)
            var optimizer = TestAdam(parameters: model.namedParameters().map(\.tensor), learningRate: 1e-2)
            var losses: [Float] = []
            for _ in 0..<30 {
                model.zeroGrad()
                let loss = Tensor.crossEntropy(logits: model(images), targets: targets)
                loss.backward()
                optimizer.step()
                losses.append(loss.item)
            }
            print("hybrid training losses (seed \(seed)): \(losses.map { String(format: "%.3f", $0) }.joined(separator: " "))")
            XCTAssertTrue(losses.allSatisfy { $0.isFinite })
            // Mean of the last five against the first: observed falls 2.7× (seed 7) to ~30× (17, 27).
            let recent = losses.suffix(5).reduce(0, +) / 5
            XCTAssertLessThan(recent, losses[0] * 0.5, "seed \(seed): loss \(losses[0]) → \(recent) (mean of the last 5)")
            // Training moved the BatchNorm running statistics.
            let stemNorm = model.patchEmbed.backbone!.stem.norm as! BatchNorm2d
            XCTAssertEqual(stemNorm.numBatchesTracked.data, [30])
            XCTAssertNotEqual(stemNorm.runningMean.data, [Float](repeating: 0, count: 8))
        }
    }
}

var rngForTest = RandomGenerator(seed: 99)

/// A plain Adam (Kingma & Ba) for the training smoke tests; the real optimizer lives in Training.
struct TestAdam {
    let parameters: [Tensor]
    let learningRate: Float
    var m: [[Float]]
    var v: [[Float]]
    var t = 0

    init(parameters: [Tensor], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
        m = parameters.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    mutating func step() {
        t += 1
        let (b1, b2): (Float, Float) = (0.9, 0.999)
        let c1 = 1 - pow(b1, Float(t)), c2 = 1 - pow(b2, Float(t))
        for (k, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            for i in 0..<p.count {
                m[k][i] = b1 * m[k][i] + (1 - b1) * g[i]
                v[k][i] = b2 * v[k][i] + (1 - b2) * g[i] * g[i]
                p.data[i] -= learningRate * (m[k][i] / c1) / ((v[k][i] / c2).squareRoot() + 1e-8)
            }
        }
    }
}
