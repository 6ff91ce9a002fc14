// The generated timm registry builds what timm builds: parameter counts of registered names as
// `sum(p.numel() for p in timm.create_model(name).parameters())` prints them (timm 1.0.31).

import Models
import XCTest

final class TimmRegistryTests: XCTestCase {
    func testParameterCountsEqualTimms() throws {
        for (name, count) in [("deit_tiny_distilled_patch16_224", 5_910_800), ("vit_small_patch14_reg4_dinov2", 22_057_344)] {
            let config = try XCTUnwrap(TimmRegistry.config(named: name), name)
            XCTAssertEqual(VisionTransformer(config: config, seed: 0).parameterCount, count, name)
        }
    }

    func testPretrainedTagsResolveAndFamiliesAreRead() throws {
        let dinov2 = try XCTUnwrap(TimmRegistry.config(named: "vit_small_patch14_reg4_dinov2.lvd142m"))
        XCTAssertEqual(dinov2.registerTokens, 4)
        XCTAssertEqual(dinov2.layerScaleInit, 1e-5)
        XCTAssertTrue(dinov2.noEmbedClass)
        let siglip = try XCTUnwrap(TimmRegistry.config(named: "vit_base_patch16_siglip_224"))
        XCTAssertEqual(siglip.globalPool, .map)
        XCTAssertFalse(siglip.classToken)
        XCTAssertEqual(TimmRegistry.config(named: "vit_base_patch16_clip_quickgelu_224")?.activation, .quickGELU)
        XCTAssertNil(TimmRegistry.config(named: "resnet50"))
        XCTAssertEqual(TimmRegistry.closestName(to: dinov2), "vit_small_patch14_reg4_dinov2")
    }
}
