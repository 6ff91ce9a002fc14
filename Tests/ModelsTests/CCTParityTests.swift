// CCT parity with PyTorch (Scripts/fixtures/cct_parity.py → cct_parity.h5): the convolutional
// tokenizer, timm's blocks and sequence pooling written in torch (Scripts/torch_cct.py) under our
// parameter names. Two variants: two tokenizer layers without qkv bias (as cct-2-3x2), and one
// layer on a one-channel image with qkv bias and MLP ratio 2.

import XCTest
import FileFormats
import Models

final class CCTParityTests: XCTestCase {
    func config(_ file: HDF5File, _ group: String) throws -> ViTConfig {
        func int(_ name: String) throws -> Int { try file.intAttribute(name, on: group) }
        return ViTConfig(imageSize: try int("img_size"), patchSize: 1, inChannels: try int("in_chans"),
                         numClasses: try int("num_classes"), embedDim: try int("embed_dim"), depth: try int("depth"),
                         numHeads: try int("num_heads"), mlpRatio: try file.doubleAttribute("mlp_ratio", on: group),
                         qkvBias: try int("qkv_bias") != 0, classToken: false, globalPool: .seq,
                         convTokenizer: ConvTokenizerConfig(layers: try int("layers"), kernel: try int("kernel")))
    }

    func testCompactTransformersMatchTorch() throws {
        let file = try HDF5File.open(fixturePath("cct_parity.h5"))
        defer { file.close() }
        for variant in ["cct_2_3x2", "cct_1_3x1"] {
            let model = try VisionTransformer.make(config: try config(file, "/" + variant), seed: 1)
            // The sequence pool's bias shifts every token's score alike, and softmax ignores a
            // shift: its gradient is zero.
            try assertMatchesTorch(model, file: file, group: "/" + variant, label: variant, zeroGradient: ["seq_pool.bias"])
        }
    }
}
