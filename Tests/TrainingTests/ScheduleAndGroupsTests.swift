import Models
import Training
import XCTest

/// A tiny model of `depth` blocks, for the parameter policy it declares.
func policyModel(depth: Int, _ configure: (inout ViTConfig) -> Void = { _ in }) -> VisionTransformer {
    var config = ViTConfig(imageSize: 8, patchSize: 4, numClasses: 3, embedDim: 8, depth: depth, numHeads: 2)
    configure(&config)
    return VisionTransformer(config: config, seed: 0)
}

final class ScheduleAndGroupsTests: XCTestCase {
    func testWarmupThenCosine() {
        let s = LearningRateSchedule(baseLR: 1e-3, minLR: 1e-5, warmupSteps: 10, totalSteps: 110, cosine: true)
        XCTAssertEqual(s.lr(at: 0), 1e-4, accuracy: 1e-12)
        XCTAssertEqual(s.lr(at: 9), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.lr(at: 10), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.lr(at: 60), (1e-3 + 1e-5) / 2, accuracy: 1e-12)
        XCTAssertEqual(s.lr(at: 110), 1e-5, accuracy: 1e-12)
        let constant = LearningRateSchedule(baseLR: 0.1, minLR: 0, warmupSteps: 0, totalSteps: 10, cosine: false)
        XCTAssertEqual(constant.lr(at: 7), 0.1)
    }

    func testGlobMatchesAcrossDots() {
        XCTAssertTrue(globMatches("head.*", "head.weight"))
        XCTAssertTrue(globMatches("*.bias", "blocks.3.attn.qkv.bias"))
        XCTAssertTrue(globMatches("blocks.[0-3].*", "blocks.2.mlp.fc1.weight"))
        XCTAssertFalse(globMatches("blocks.[0-3].*", "blocks.5.mlp.fc1.weight"))
        XCTAssertFalse(globMatches("head.*", "blocks.0.head.weight"))
    }

    func testDefaultNoDecayAndGroupOverrides() {
        var optim = OptimSection()
        optim.groups = [ParameterGroupSection(pattern: "head.*", lrScale: 10)]
        let s = { (path: String, rank: Int) in ParameterGroups.settings(path: path, rank: rank, optim: optim, policy: policyModel(depth: 12)) }
        XCTAssertEqual(s("blocks.0.attn.qkv.weight", 2), ParameterSettings(lrScale: 1, weightDecay: 0.05))
        XCTAssertEqual(s("blocks.0.attn.qkv.bias", 1), ParameterSettings(lrScale: 1, weightDecay: 0))
        XCTAssertEqual(s("blocks.0.norm1.weight", 1), ParameterSettings(lrScale: 1, weightDecay: 0))
        XCTAssertEqual(s("pos_embed", 3), ParameterSettings(lrScale: 1, weightDecay: 0))
        XCTAssertEqual(s("cls_token", 3), ParameterSettings(lrScale: 1, weightDecay: 0))
        XCTAssertEqual(s("head.weight", 2), ParameterSettings(lrScale: 10, weightDecay: 0.05))
        XCTAssertEqual(s("head.bias", 1), ParameterSettings(lrScale: 10, weightDecay: 0))
    }

    func testLayerWiseDecayFollowsBEiT() {
        var optim = OptimSection()
        optim.layerDecay = 0.5
        let scale = { (path: String) in ParameterGroups.settings(path: path, rank: 2, optim: optim, policy: policyModel(depth: 2)).lrScale }
        XCTAssertEqual(scale("patch_embed.proj.weight"), 0.125)   // layer 0: 0.5^3
        XCTAssertEqual(scale("blocks.0.attn.qkv.weight"), 0.25)   // layer 1
        XCTAssertEqual(scale("blocks.1.mlp.fc2.weight"), 0.5)     // layer 2
        XCTAssertEqual(scale("head.weight"), 1)                   // layer depth + 1
    }

    func testFreezeSelection() {
        var freeze = FreezeSection()
        freeze.patchEmbed = true
        freeze.positionEmbedding = true
        freeze.blocks = 2
        freeze.patterns = ["norm.*"]
        let policy = policyModel(depth: 12)
        XCTAssertTrue(Freezing.isFrozen(path: "patch_embed.proj.weight", freeze: freeze, policy: policy))
        XCTAssertTrue(Freezing.isFrozen(path: "cls_token", freeze: freeze, policy: policy))
        XCTAssertTrue(Freezing.isFrozen(path: "blocks.1.mlp.fc1.bias", freeze: freeze, policy: policy))
        XCTAssertFalse(Freezing.isFrozen(path: "blocks.2.mlp.fc1.bias", freeze: freeze, policy: policy))
        XCTAssertFalse(Freezing.isFrozen(path: "blocks.10.mlp.fc1.bias", freeze: freeze, policy: policy))
        XCTAssertTrue(Freezing.isFrozen(path: "norm.weight", freeze: freeze, policy: policy))
        XCTAssertFalse(Freezing.isFrozen(path: "head.weight", freeze: freeze, policy: policy))
    }

    /// The families' own parameters follow timm: reg_token / dist_token skip decay and sit in the
    /// stem with norm_pre; layer-scale gammas are 1-D (no decay) and belong to their block; the
    /// position-embedding freeze preset takes every prefix token.
    func testFamilyParametersFollowTheModelsPolicy() {
        var optim = OptimSection()
        optim.layerDecay = 0.5
        let dinov2 = policyModel(depth: 2) { $0.registerTokens = 4; $0.noEmbedClass = true; $0.layerScaleInit = 1e-5; $0.preNorm = true }
        let deit = policyModel(depth: 2) { $0.distilled = true }
        let s = { (model: VisionTransformer, path: String, rank: Int) in ParameterGroups.settings(path: path, rank: rank, optim: optim, policy: model) }
        XCTAssertEqual(s(dinov2, "reg_token", 3), ParameterSettings(lrScale: 0.125, weightDecay: 0))
        XCTAssertEqual(s(dinov2, "norm_pre.weight", 1), ParameterSettings(lrScale: 0.125, weightDecay: 0))
        XCTAssertEqual(s(dinov2, "blocks.1.ls2.gamma", 1), ParameterSettings(lrScale: 0.5, weightDecay: 0))
        XCTAssertEqual(s(deit, "dist_token", 3), ParameterSettings(lrScale: 0.125, weightDecay: 0))
        XCTAssertEqual(s(deit, "head_dist.weight", 2), ParameterSettings(lrScale: 1, weightDecay: 0.05))
        var freeze = FreezeSection()
        freeze.positionEmbedding = true
        XCTAssertEqual(Set(Freezing.patterns(freeze, policy: dinov2)), ["cls_token", "reg_token", "pos_embed"])
        XCTAssertEqual(Set(Freezing.patterns(freeze, policy: deit)), ["cls_token", "pos_embed", "dist_token"])
        XCTAssertTrue(dinov2.namedParameters().contains { $0.path == "blocks.0.ls1.gamma" })
    }

    func testGradientClippingScalesToMaxNorm() {
        let a = Tensor(shape: [2], data: [0, 0]).requiringGrad()
        let b = Tensor(shape: [1], data: [0]).requiringGrad()
        a.grad = [3, 0]
        b.grad = [4]
        let params = [(path: "a", tensor: a), (path: "b", tensor: b)]
        XCTAssertEqual(GradientClipping.clip(params, maxNorm: 1), 5, accuracy: 1e-9)
        XCTAssertEqual(GradientClipping.globalNorm(params), 1, accuracy: 1e-5)
        b.grad = [.nan]
        XCTAssertEqual(GradientClipping.firstNonFinite(params), "b")
    }
}
