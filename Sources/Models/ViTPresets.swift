// Named architectures (timm's registered ViTs at 224/16 and two hybrids), as static values
// plus a registry keyed by name. Image size, classes and drop rates are overridden per run.

public enum ViTPresets {
    /// ViT-Tiny/16: 192 wide, 12 blocks, 3 heads (5,717,416 parameters at 224, 1000 classes).
    public static let vitTiny = ViTConfig(embedDim: 192, depth: 12, numHeads: 3)
    /// ViT-Small/16: 384 wide, 12 blocks, 6 heads.
    public static let vitSmall = ViTConfig(embedDim: 384, depth: 12, numHeads: 6)
    /// ViT-Base/16: 768 wide, 12 blocks, 12 heads.
    public static let vitBase = ViTConfig(embedDim: 768, depth: 12, numHeads: 12)
    /// ViT-Large/16: 1024 wide, 24 blocks, 16 heads.
    public static let vitLarge = ViTConfig(embedDim: 1024, depth: 24, numHeads: 16)

    /// A small hybrid for 32×32 inputs: 3×3 stem at stride 1, two basic stages at stride 2 →
    /// an 8×8 feature map (64 tokens), then a ViT-Tiny encoder.
    public static let hybridTiny = ViTConfig(
        imageSize: 32, patchSize: 1, embedDim: 192, depth: 12, numHeads: 3,
        hybrid: HybridBackboneConfig(stemChannels: 32, stemKernel: 3, stemStride: 1, stemPool: false,
                                     stages: [.init(blocks: 1, channels: 64, stride: 2),
                                              .init(blocks: 1, channels: 128, stride: 2)],
                                     blockType: .basic, norm: .batch))

    /// A ResNet-50-like hybrid (as timm's vit_base_r50_s16_224): 7×7 stem + pool, bottleneck
    /// stages of 3, 4, 9 blocks with group norm, total stride 16 → 14×14 tokens at 224, then ViT-Base.
    public static let hybridBase = ViTConfig(
        imageSize: 224, patchSize: 1, embedDim: 768, depth: 12, numHeads: 12,
        hybrid: HybridBackboneConfig(stemChannels: 64, stemKernel: 7, stemStride: 2, stemPool: true,
                                     stages: [.init(blocks: 3, channels: 256, stride: 1),
                                              .init(blocks: 4, channels: 512, stride: 2),
                                              .init(blocks: 9, channels: 1024, stride: 2)],
                                     blockType: .bottleneck, norm: .group))

    // Compact Transformers (Hassani et al. 2021) for 32×32 inputs, 10 classes: the parameter
    // counts equal the paper's (CCT-7/3x1 3.76M, CCT-2/3x2 0.28M, ViT-Lite-7/4 3.72M). Their blocks
    // are timm's pre-norm blocks (the paper's code normalises the residual stream before the MLP).
    // Attention dropout 0.1 and stochastic depth 0.1 as the paper's CIFAR recipe; no qkv bias.

    /// CCT-7/3x1: one 3×3 conv stage (32 → 16×16 = 256 tokens), 7 blocks of width 256, 4 heads,
    /// MLP ratio 2, sequence pooling, no class token.
    public static let cct7x3x1 = ViTConfig(
        imageSize: 32, patchSize: 1, numClasses: 10, embedDim: 256, depth: 7, numHeads: 4, mlpRatio: 2,
        qkvBias: false, attnDropRate: 0.1, dropPathRate: 0.1, classToken: false, globalPool: .seq,
        convTokenizer: ConvTokenizerConfig(layers: 1, kernel: 3))

    /// CCT-2/3x2: two 3×3 conv stages (32 → 8×8 = 64 tokens), 2 blocks of width 128, 2 heads, MLP ratio 1.
    public static let cct2x3x2 = ViTConfig(
        imageSize: 32, patchSize: 1, numClasses: 10, embedDim: 128, depth: 2, numHeads: 2, mlpRatio: 1,
        qkvBias: false, attnDropRate: 0.1, dropPathRate: 0.1, classToken: false, globalPool: .seq,
        convTokenizer: ConvTokenizerConfig(layers: 2, kernel: 3))

    /// ViT-Lite-7/4: a plain ViT with patch 4 (64 tokens + class), 7 blocks of width 256, 4 heads, MLP ratio 2.
    public static let vitLite7x4 = ViTConfig(
        imageSize: 32, patchSize: 4, numClasses: 10, embedDim: 256, depth: 7, numHeads: 4, mlpRatio: 2,
        qkvBias: false, attnDropRate: 0.1, dropPathRate: 0.1)

    private static let registry: [(name: String, config: ViTConfig)] = [
        ("vit-tiny", vitTiny), ("vit-small", vitSmall), ("vit-base", vitBase), ("vit-large", vitLarge),
        ("hybrid-tiny", hybridTiny), ("hybrid-base", hybridBase),
        ("cct-7-3x1", cct7x3x1), ("cct-2-3x2", cct2x3x2), ("vit-lite-7-4", vitLite7x4),
    ]

    /// The preset called `named`, or nil.
    public static func config(named: String) -> ViTConfig? {
        registry.first { $0.name == named }?.config
    }

    /// Every preset name, in a stable order.
    public static var names: [String] { registry.map(\.name) }
}
