// The patch embedding (timm `patch_embed`): images [B, C, H, W] → tokens [B, N, D].
// Plain ViT: `proj` is a P×P conv at stride P, computed as one GEMM over the patches.
// Hybrid ViT: a convolutional `backbone` first, then `proj` is a 1×1 conv to D (timm HybridEmbed).

/// timm's PatchEmbed / HybridEmbed. Paths: `patch_embed.proj.*`, `patch_embed.backbone.*`.
public final class PatchEmbed: Module {
    public let backbone: HybridBackbone?
    public let proj: Conv2d
    public var isTraining = false
    /// The token grid for the configured image size.
    public let gridSize: (height: Int, width: Int)

    public init(config: ViTConfig, rng: inout RandomGenerator) {
        if let hybrid = config.hybrid {
            let net = HybridBackbone(config: hybrid, inChannels: config.inChannels, rng: &rng)
            backbone = net
            proj = Conv2d(inChannels: hybrid.outputChannels, outChannels: config.embedDim, kernelSize: 1,
                          stride: 1, rng: &rng)
        } else {
            backbone = nil
            proj = Conv2d(inChannels: config.inChannels, outChannels: config.embedDim,
                          kernelSize: config.patchSize, stride: config.patchSize, bias: config.hasPatchBias, rng: &rng)
        }
        gridSize = (config.gridSide, config.gridSide)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        if let backbone { return [("backbone", backbone), ("proj", proj)] }
        return [("proj", proj)]
    }

    /// images [B, C, H, W] → tokens [B, N, D], N = grid height × width, row-major over the grid.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        if let backbone { return proj.patchTokens(backbone(images)) }
        return proj.patchTokens(images)
    }
}
