// Hugging Face ViT names ↔ timm names: the documented key mapping, q/k/v packing into qkv,
// and a model loading a Hugging Face-named state dict.

import XCTest
import Models

final class HuggingFaceNameTests: XCTestCase {
    func testExportNamesAndQKVSplit() {
        let model = VisionTransformer(config: smallConfig(depth: 1), seed: 1)
        let hf = HuggingFaceViT.huggingFaceState(from: model.stateDictionary())
        XCTAssertEqual(Set(hf.keys), [
            "vit.embeddings.cls_token", "vit.embeddings.position_embeddings",
            "vit.embeddings.patch_embeddings.projection.weight", "vit.embeddings.patch_embeddings.projection.bias",
            "vit.encoder.layer.0.layernorm_before.weight", "vit.encoder.layer.0.layernorm_before.bias",
            "vit.encoder.layer.0.attention.attention.query.weight", "vit.encoder.layer.0.attention.attention.query.bias",
            "vit.encoder.layer.0.attention.attention.key.weight", "vit.encoder.layer.0.attention.attention.key.bias",
            "vit.encoder.layer.0.attention.attention.value.weight", "vit.encoder.layer.0.attention.attention.value.bias",
            "vit.encoder.layer.0.attention.output.dense.weight", "vit.encoder.layer.0.attention.output.dense.bias",
            "vit.encoder.layer.0.layernorm_after.weight", "vit.encoder.layer.0.layernorm_after.bias",
            "vit.encoder.layer.0.intermediate.dense.weight", "vit.encoder.layer.0.intermediate.dense.bias",
            "vit.encoder.layer.0.output.dense.weight", "vit.encoder.layer.0.output.dense.bias",
            "vit.layernorm.weight", "vit.layernorm.bias", "classifier.weight", "classifier.bias",
        ])
        let qkv = model.blocks[0].attn.qkv.weight.data            // [72, 24]: q rows, k rows, v rows
        let key = hf["vit.encoder.layer.0.attention.attention.key.weight"]!
        XCTAssertEqual(key.shape, [24, 24])
        XCTAssertEqual(key.values, Array(qkv[(24 * 24)..<(48 * 24)]))
        XCTAssertEqual(hf["vit.encoder.layer.0.intermediate.dense.weight"]!.shape, [96, 24])
        XCTAssertTrue(HuggingFaceViT.isHuggingFace(hf.keys))
        XCTAssertFalse(HuggingFaceViT.isHuggingFace(model.stateDictionary().keys))
    }

    func testImportRoundTripLoadsIntoAModel() throws {
        let source = VisionTransformer(config: smallConfig(depth: 2), seed: 2)
        let target = VisionTransformer(config: smallConfig(depth: 2), seed: 3)
        var hf = HuggingFaceViT.huggingFaceState(from: source.stateDictionary())
        // ViTModel checkpoints have no "vit." prefix; mix both spellings to check each is understood.
        hf["encoder.layer.1.output.dense.bias"] = hf.removeValue(forKey: "vit.encoder.layer.1.output.dense.bias")
        try target.load(HuggingFaceViT.timmState(from: hf))
        let images = randomImages([1, 3, 16, 16], seed: 4)
        XCTAssertEqual(source(images).data, target(images).data)

        // A pooler (ViTModel) is not part of timm's ViT: reported as unexpected, by its name.
        hf["vit.pooler.dense.bias"] = ([24], [Float](repeating: 0, count: 24))
        XCTAssertThrowsError(try target.load(HuggingFaceViT.timmState(from: hf))) { error in
            XCTAssertEqual("\(error)", "checkpoint has 1 unexpected key: vit.pooler.dense.bias")
        }
        // A missing value projection: the qkv key is missing and the other parts are named.
        hf["vit.pooler.dense.bias"] = nil
        hf["vit.encoder.layer.0.attention.attention.value.weight"] = nil
        XCTAssertThrowsError(try target.load(HuggingFaceViT.timmState(from: hf))) { error in
            XCTAssertEqual("\(error)", "checkpoint lacks 1 model key: blocks.0.attn.qkv.weight; and has 2 unexpected: blocks.0.attn.key.weight, blocks.0.attn.query.weight")
        }
    }
}
