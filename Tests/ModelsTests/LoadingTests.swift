// Loading by timm path: round trip, one-line errors naming keys and shapes, missing and
// unexpected keys, skip patterns, atomicity, and pos_embed resampling on load.

import XCTest
import Models

final class LoadingTests: XCTestCase {
    func testRoundTripCopiesEveryValue() throws {
        let source = VisionTransformer(config: smallConfig(), seed: 1)
        let target = VisionTransformer(config: smallConfig(), seed: 2)
        let images = randomImages([2, 3, 16, 16], seed: 3)
        XCTAssertNotEqual(source(images).data, target(images).data)
        let report = try target.load(source.stateDictionary())
        XCTAssertEqual(report.loaded, source.namedParameters().map(\.path))
        XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty && report.resampled.isEmpty)
        XCTAssertEqual(source(images).data, target(images).data)
    }

    func testShapeMismatchNamesKeyAndBothShapes() {
        let model = VisionTransformer(config: smallConfig(), seed: 1)
        var state = model.stateDictionary()
        state["blocks.0.attn.qkv.weight"] = ([24, 24], [Float](repeating: 0, count: 576))
        let before = model.posEmbed.data
        state["pos_embed"] = ([1, 17, 24], [Float](repeating: 9, count: 17 * 24))
        XCTAssertThrowsError(try model.load(state)) { error in
            XCTAssertEqual("\(error)", "blocks.0.attn.qkv.weight: shape [24, 24] in the checkpoint, [72, 24] expected")
            XCTAssertEqual(error as? ModelLoadError,
                           .shapeMismatch(key: "blocks.0.attn.qkv.weight", checkpoint: [24, 24], expected: [72, 24]))
        }
        XCTAssertEqual(model.posEmbed.data, before, "a failed load must not write anything")

        var wrongCount = model.stateDictionary()
        wrongCount["norm.bias"] = ([24], [1, 2, 3])
        XCTAssertThrowsError(try model.load(wrongCount)) { error in
            XCTAssertEqual("\(error)", "norm.bias: 3 values in the checkpoint for shape [24]")
        }
    }

    func testMissingAndUnexpectedKeys() throws {
        let model = VisionTransformer(config: smallConfig(), seed: 1)
        var state = model.stateDictionary()
        state["head.weight"] = nil
        state["head.bias"] = nil
        XCTAssertThrowsError(try model.load(state)) { error in
            XCTAssertEqual("\(error)", "checkpoint lacks 2 model keys: head.weight, head.bias")
        }
        state["fc_norm.weight"] = ([24], [Float](repeating: 1, count: 24))
        XCTAssertThrowsError(try model.load(state)) { error in
            XCTAssertEqual("\(error)", "checkpoint lacks 2 model keys: head.weight, head.bias; and has 1 unexpected: fc_norm.weight")
        }
        let loose = try model.load(state, strict: false)
        XCTAssertEqual(loose.missing, ["head.weight", "head.bias"])
        XCTAssertEqual(loose.unexpected, ["fc_norm.weight"])
        state["head.weight"] = model.stateDictionary()["head.weight"]
        state["head.bias"] = model.stateDictionary()["head.bias"]
        XCTAssertThrowsError(try model.load(state)) { error in
            XCTAssertEqual("\(error)", "checkpoint has 1 unexpected key: fc_norm.weight")
        }
    }

    func testSkipPatternsLeaveHeadForReinitialisation() throws {
        // A 1000-class checkpoint into a 5-class model: the trainer resets the head and skips it.
        let pretrained = VisionTransformer(config: smallConfig(classes: 1000), seed: 1)
        let model = VisionTransformer(config: smallConfig(classes: 5), seed: 2)
        let head = model.head!.weight.data
        XCTAssertThrowsError(try model.load(pretrained.stateDictionary())) { error in
            XCTAssertEqual("\(error)", "head.weight: shape [1000, 24] in the checkpoint, [5, 24] expected")
        }
        let report = try model.load(pretrained.stateDictionary(), skip: ["head.*"])
        XCTAssertEqual(report.skipped, ["head.weight", "head.bias"])
        XCTAssertEqual(model.head!.weight.data, head)
        XCTAssertEqual(model.blocks[1].mlp.fc2.weight.data, pretrained.blocks[1].mlp.fc2.weight.data)
    }

    func testGlobPatterns() {
        XCTAssertTrue(globMatches("head.*", "head.weight"))
        XCTAssertTrue(globMatches("*.bias", "blocks.3.attn.qkv.bias"))
        XCTAssertTrue(globMatches("blocks.1?.*", "blocks.11.norm1.weight"))
        XCTAssertFalse(globMatches("blocks.1?.*", "blocks.1.norm1.weight"))
        XCTAssertFalse(globMatches("head.*", "pre_head.weight"))
        XCTAssertTrue(globMatches("pos_embed", "pos_embed"))
    }

    func testPositionEmbeddingResampledOnLoad() throws {
        // A 16×16 / 4 model (4×4 grid) loaded into a 24×24 / 4 model (6×6 grid).
        let small = VisionTransformer(config: smallConfig(), seed: 1)
        var config = smallConfig()
        config.imageSize = 24
        let large = VisionTransformer(config: config, seed: 2)
        let report = try large.load(small.stateDictionary())
        XCTAssertEqual(report.resampled, ["pos_embed"])
        XCTAssertEqual(large.posEmbed.shape, [1, 37, 24])
        XCTAssertEqual(Array(large.posEmbed.data[0..<24]), Array(small.posEmbed.data[0..<24]), "CLS position kept")
        let expected = PositionEmbedding.resample(small.posEmbed.data, dimensions: 24, from: (4, 4), to: (6, 6))
        XCTAssertEqual(large.posEmbed.data, expected)
        XCTAssertThrowsError(try large.load(small.stateDictionary(), resamplePositionEmbedding: false)) { error in
            XCTAssertEqual("\(error)", "pos_embed: shape [1, 17, 24] in the checkpoint, [1, 37, 24] expected")
        }
    }

    func testResamplingIsIdentityOnTheSameGrid() {
        let values = randomImages([1, 17, 5], seed: 4).data
        XCTAssertEqual(PositionEmbedding.resample(values, dimensions: 5, from: (4, 4), to: (4, 4)), values)
        // Upsampling a constant field keeps it constant (the weights are normalised).
        let constant = [Float](repeating: 0.25, count: 17 * 2)
        for v in PositionEmbedding.resample(constant, dimensions: 2, from: (4, 4), to: (7, 7)) {
            XCTAssertEqual(v, 0.25, accuracy: 1e-6)
        }
    }
}
