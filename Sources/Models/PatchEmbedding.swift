// The patch embedding (timm `patch_embed`): images [B, C, H, W] → tokens [B, N, D].
// Plain ViT: `proj` is a P×P conv at stride P, computed as one GEMM over the patches.
// Hybrid ViT: a convolutional `backbone` first, then `proj` is a 1×1 conv to D (timm HybridEmbed).
// CCT: a convolutional `tokenizer` (conv → ReLU → max pool stages), whose last conv is `proj`.

/// timm's PatchEmbed / HybridEmbed. Paths: `patch_embed.proj.*`, `patch_embed.backbone.*`.
public final class PatchEmbed: Module {
    public let backbone: HybridBackbone?
    public let tokenizer: ConvTokenizer?
    public let proj: Conv2d
    public var isTraining = false
    /// The token grid for the configured image size.
    public let gridSize: (height: Int, width: Int)

    public init(config: ViTConfig, rng: inout RandomGenerator) {
        if let cct = config.convTokenizer {
            let net = ConvTokenizer(config: cct, inChannels: config.inChannels, rng: &rng)
            backbone = nil
            tokenizer = net
            proj = Conv2d(inChannels: cct.layers > 1 ? cct.channels : config.inChannels, outChannels: config.embedDim,
                          kernelSize: cct.kernel, stride: cct.stride, padding: cct.padding, bias: false, rng: &rng)
        } else if let hybrid = config.hybrid {
            let net = HybridBackbone(config: hybrid, inChannels: config.inChannels, rng: &rng)
            backbone = net
            tokenizer = nil
            proj = Conv2d(inChannels: hybrid.outputChannels, outChannels: config.embedDim, kernelSize: 1,
                          stride: 1, rng: &rng)
        } else {
            backbone = nil
            tokenizer = nil
            proj = Conv2d(inChannels: config.inChannels, outChannels: config.embedDim,
                          kernelSize: config.patchSize, stride: config.patchSize, bias: config.hasPatchBias, rng: &rng)
        }
        gridSize = (config.gridSide, config.gridSide)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        if let backbone { return [("backbone", backbone), ("proj", proj)] }
        if let tokenizer { return [("tokenizer", tokenizer), ("proj", proj)] }
        return [("proj", proj)]
    }

    /// images [B, C, H, W] → tokens [B, N, D], N = grid height × width, row-major over the grid.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        if let backbone { return proj.patchTokens(backbone(images)) }
        if let tokenizer {
            let map = tokenizer.stage(proj, tokenizer(images))                      // [B, D, h, w]
            let (b, d, h, w) = (map.shape[0], map.shape[1], map.shape[2], map.shape[3])
            return map.permuted([0, 2, 3, 1]).reshaped([b, h * w, d])
        }
        return proj.patchTokens(images)
    }
}
