import Foundation
import Models
import Training
import XCTest

/// The conv-tokenizer keys (`conv_layers`, `conv_kernel`, `conv_channels`): they reshape a CCT
/// preset or give a plain preset a tokenizer, survive the checkpoint's JSON, and a section that
/// describes a CCT rebuilds the same model.
final class ConvTokenizerConfigTests: XCTestCase {
    func read(_ json: String) throws -> RunConfig {
        try RunConfig.read(try ConfigReader.parse(Data(json.utf8), file: "test.json"))
    }

    func testKeysReshapeTheTokenizer() throws {
        let c = try read(#"{"model": {"arch": "cct-2-3x2", "img_size": 28, "in_chans": 1, "conv_channels": 32, "conv_kernel": 5}}"#)
        XCTAssertEqual(try RunConfig.fromJSON(c.jsonString()), c)
        let model = try RunSetup.modelConfig(c.model, dataset: nil)
        XCTAssertEqual(model.convTokenizer, ConvTokenizerConfig(layers: 2, kernel: 5, channels: 32))
        // Kernel 5: stride 1, padding 2; each stage's pool halves: 28 → 14 → 7.
        XCTAssertEqual(model.gridSide, 7)
        XCTAssertEqual(VisionTransformer(config: model, seed: 0).patchEmbed.tokenizer?.convs.modules.first?.weight.shape, [32, 1, 5, 5])

        let plain = try RunSetup.modelConfig(try read(#"{"model": {"arch": "vit-tiny", "img_size": 32, "conv_layers": 1}}"#).model, dataset: nil)
        XCTAssertEqual(plain.convTokenizer, ConvTokenizerConfig(layers: 1, kernel: 3))
        XCTAssertTrue(plain.classToken)
        XCTAssertEqual(plain.gridSide, 16)
    }

    func testADescribedCCTRebuildsTheSameModel() throws {
        var cct = ViTPresets.cct2x3x2
        cct.depth = 4
        cct.convTokenizer?.channels = 48
        let rebuilt = try RunSetup.modelConfig(ModelSection(describing: cct), dataset: nil)
        XCTAssertEqual(rebuilt.convTokenizer, cct.convTokenizer)
        XCTAssertEqual(rebuilt.depth, 4)
        XCTAssertEqual(rebuilt.globalPool, .seq)
        XCTAssertFalse(rebuilt.classToken)
    }

    func testBadValuesNameTheirKeys() {
        for key in ["conv_layers", "conv_kernel", "conv_channels"] {
            let json = #"{"model": {"arch": "cct-2-3x2", "\#(key)": 0}}"#
            XCTAssertThrowsError(try read(json), json) { error in
                XCTAssertTrue("\(error)".contains("model.\(key)"), "\(json): \(error)")
            }
        }
    }
}
