// Hybrid ViT parity with PyTorch (Scripts/fixtures/hybrid_parity.py → hybrid_parity.h5): the same
// backbone written in torch inside timm's VisionTransformer + HybridEmbed, loaded by name here.
// Two variants (basic blocks + BatchNorm + stem pool; bottleneck + GroupNorm), each checked in
// evaluation (running statistics) and in training (batch statistics): logits, loss, every
// parameter gradient (per tensor max|Δ| / max(max|timm|, 1e-6)) and the updated running statistics.

import XCTest
import FileFormats
import Models

final class HybridParityTests: XCTestCase {
    func config(_ file: HDF5File, _ group: String) throws -> ViTConfig {
        func int(_ name: String) throws -> Int { try file.intAttribute(name, on: group) }
        let stages = try file.int64sAttribute("stages", on: group).map(Int.init)
        let backbone = HybridBackboneConfig(
            stemChannels: try int("stem_channels"), stemKernel: try int("stem_kernel"), stemStride: try int("stem_stride"),
            stemPool: try int("stem_pool") != 0,
            stages: stride(from: 0, to: stages.count, by: 3).map { .init(blocks: stages[$0], channels: stages[$0 + 1], stride: stages[$0 + 2]) },
            blockType: HybridBackboneConfig.BlockType(rawValue: try file.stringAttribute("block", on: group))!,
            norm: HybridBackboneConfig.NormType(rawValue: try file.stringAttribute("norm", on: group))!,
            groupNormGroups: try int("groups"))
        return ViTConfig(imageSize: try int("img_size"), patchSize: 1, inChannels: try int("in_chans"),
                         numClasses: try int("num_classes"), embedDim: try int("embed_dim"), depth: try int("depth"),
                         numHeads: try int("num_heads"), hybrid: backbone)
    }

    func maxAbs(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    func testHybridVariantsMatchTorch() throws {
        let file = try HDF5File.open(fixturePath("hybrid_parity.h5"))
        defer { file.close() }
        for variant in ["basic_batch", "bottleneck_group"] {
            let group = "/" + variant
            let model = try VisionTransformer.make(config: try config(file, group), seed: 1)
            var state: StateDictionary = [:]
            for name in try file.children(of: group + "/state") { state[name] = try file.readFloats(group + "/state/" + name) }
            let report = try model.load(state)
            XCTAssertEqual(report.loaded.count, model.stateEntries().count, variant)

            let input = try file.readFloats(group + "/input")
            let images = Tensor(shape: input.shape, data: input.values)
            let targets = try file.readFloats(group + "/targets").values.map { Int($0) }
            let evalError = maxAbs(model(images).data, try file.readFloats(group + "/eval_logits").values)

            model.setTraining(true)
            let logits = model(images)
            let trainError = maxAbs(logits.data, try file.readFloats(group + "/train_logits").values)
            let loss = Tensor.crossEntropy(logits: logits, targets: targets)
            XCTAssertEqual(loss.item, try file.readFloats(group + "/train_loss").values[0], accuracy: 1e-5)
            loss.backward()
            var worst: (String, Float) = ("", 0)
            for (path, p) in model.namedParameters() {
                let expected = try file.readFloats(group + "/grads/" + path).values
                let error = maxAbs(p.grad ?? [], expected) / max(expected.map(abs).max() ?? 0, 1e-6)
                if error > worst.1 { worst = (path, error) }
                XCTAssertLessThan(error, 1e-4, "\(variant) \(path)")
            }
            var bufferError: Float = 0
            for (path, buffer) in model.namedBuffers() {
                bufferError = max(bufferError, maxAbs(buffer.data, try file.readFloats(group + "/state_after/" + path).values))
            }
            print("hybrid parity \(variant): eval logits \(evalError), train logits \(trainError), worst grad \(worst.1) at \(worst.0), buffers \(bufferError)")
            XCTAssertLessThan(evalError, 1e-4, variant)
            XCTAssertLessThan(trainError, 1e-4, variant)
            XCTAssertLessThan(bufferError, 1e-5, variant)
        }
    }
}
