// Hybrid ViT parity with PyTorch (Scripts/fixtures/hybrid_parity.py → hybrid_parity.h5): the same
// backbone written in torch inside timm's VisionTransformer + HybridEmbed, loaded by name here.
// Two variants (basic blocks + BatchNorm + stem pool; bottleneck + GroupNorm), each checked in
// evaluation (running statistics) and in training (batch statistics) by `assertMatchesTorch`.

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

    func testHybridVariantsMatchTorch() throws {
        let file = try HDF5File.open(fixturePath("hybrid_parity.h5"))
        defer { file.close() }
        for variant in ["basic_batch", "bottleneck_group"] {
            let group = "/" + variant
            let model = try VisionTransformer.make(config: try config(file, group), seed: 1)
            try assertMatchesTorch(model, file: file, group: group, label: "hybrid " + variant)
        }
    }
}
