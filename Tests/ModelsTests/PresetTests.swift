// Presets and parameter naming: the full ViT-Tiny key/shape list against timm's (a golden file
// written by Scripts/fixtures/model_parity.py from timm itself) and the four preset sizes.

import XCTest
import Models

final class PresetTests: XCTestCase {
    func testViTTinyKeysAndShapesMatchTimmInOrder() throws {
        let golden = try String(contentsOfFile: fixturePath("vit_tiny_parameters.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(golden.count, 152)
        let model = VisionTransformer(config: ViTPresets.config(named: "vit-tiny")!, seed: 0)
        let ours = listing(model)
        XCTAssertEqual(ours.count, golden.count)
        for (i, (a, b)) in zip(ours, golden).enumerated() {
            XCTAssertEqual(a, b, "parameter \(i)")
        }
        XCTAssertEqual(model.gridSize.height, 14)
        XCTAssertEqual(model.gridSize.width, 14)
    }

    func testPresetParameterCounts() {
        let expected: [(String, Int)] = [
            ("vit-tiny", 5_717_416), ("vit-small", 22_050_664), ("vit-base", 86_567_656), ("vit-large", 304_326_632),
        ]
        for (name, count) in expected {
            // Each model is built for real, counted, and released before the next.
            let n = VisionTransformer(config: ViTPresets.config(named: name)!, seed: 1).parameterCount
            XCTAssertEqual(n, count, name)
        }
    }

    func testPresetRegistry() throws {
        XCTAssertEqual(ViTPresets.names, ["vit-tiny", "vit-small", "vit-base", "vit-large", "hybrid-tiny", "hybrid-base",
                                          "cct-7-3x1", "cct-2-3x2", "vit-lite-7-4"])
        for name in ViTPresets.names { XCTAssertNoThrow(try ViTPresets.config(named: name)!.validate(), name) }
        XCTAssertNil(ViTPresets.config(named: "vit-huge"))
        XCTAssertEqual(ViTPresets.config(named: "hybrid-tiny")!.gridSide, 8)
        XCTAssertEqual(ViTPresets.config(named: "hybrid-base")!.gridSide, 14)
        XCTAssertEqual(ViTPresets.config(named: "vit-small")!.mlpHiddenDim, 1536)
    }

    func testInvalidConfigIsAOneLineError() {
        var config = smallConfig()
        config.numHeads = 5
        XCTAssertThrowsError(try VisionTransformer.make(config: config, seed: 0)) { error in
            XCTAssertEqual("\(error)", "model.embed_dim: 24 is not divisible by num_heads 5")
        }
        config = smallConfig()
        config.patchSize = 5
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual("\(error)", "model.patch_size: 5 must divide image_size 16")
        }
        config = smallConfig(classes: -1)
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual("\(error)", "model.num_classes: -1 must not be negative (0: no head)")
        }
        config = smallConfig()
        config.hybrid = HybridBackboneConfig(stemChannels: 8, stemKernel: 3, stemStride: 1, stemPool: false,
                                             stages: [.init(blocks: 1, channels: 16, stride: 3)])
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual("\(error)", "model.image_size: 16 is not divisible by the hybrid backbone's total stride 3")
        }
    }

    func testInitialisationFollowsTimm() {
        let model = VisionTransformer(config: ViTPresets.vitTiny, seed: 3)
        func std(_ v: [Float]) -> Float {
            let m = v.reduce(0, +) / Float(v.count)
            return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(v.count)).squareRoot()
        }
        XCTAssertLessThan(model.clsToken!.data.map(abs).max()!, 1e-5)           // normal(std 1e-6)
        XCTAssertEqual(std(model.posEmbed.data), 0.02, accuracy: 1e-3)          // trunc_normal_(std=.02)
        XCTAssertEqual(std(model.blocks[0].attn.qkv.weight.data), 0.02, accuracy: 1e-3)
        XCTAssertTrue(model.blocks[3].mlp.fc1.bias!.data.allSatisfy { $0 == 0 })
        XCTAssertTrue(model.norm!.weight.data.allSatisfy { $0 == 1 })
        // Patch embedding keeps nn.Conv2d's default: U(±1/√fan_in), fan_in = 3·16·16.
        let bound = 1 / Float(768).squareRoot()
        XCTAssertLessThanOrEqual(model.patchEmbed.proj.weight.data.map(abs).max()!, bound)
        XCTAssertEqual(std(model.patchEmbed.proj.weight.data), bound / Float(3).squareRoot(), accuracy: 1e-3)
        // The same seed gives the same model.
        XCTAssertEqual(VisionTransformer(config: ViTPresets.vitTiny, seed: 3).posEmbed.data, model.posEmbed.data)
    }
}
