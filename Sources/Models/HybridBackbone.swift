// The convolutional backbone of a hybrid ViT: a ResNet-style stem (conv, norm, ReLU, optional
// max pool) and stages of residual blocks (basic: two 3×3 convs; bottleneck: 1×1, 3×3, 1×1 at
// a quarter width), with a 1×1 conv + norm shortcut where the shape changes. Convs have no
// bias (a norm follows). Paths: stem.conv, stem.norm, stages.{i}.{j}.conv1 …, .downsample.conv.
// Unlike timm's R50 hybrid there is no weight standardisation: plain convs with PyTorch init.

/// Builds the chosen 2-D norm for `channels`.
func makeFeatureMapNorm(_ config: HybridBackboneConfig, channels: Int) -> FeatureMapNorm {
    switch config.norm {
    case .batch:
        return BatchNorm2d(channels: channels)
    case .group:
        // The largest divisor of the channel count not above the requested groups.
        var groups = min(max(config.groupNormGroups, 1), channels)
        while channels % groups != 0 { groups -= 1 }
        return GroupNorm(groups: groups, channels: channels)
    }
}

/// conv → norm, the unit every part of the backbone is built from.
public final class ConvNorm: Module {
    public let conv: Conv2d
    public let norm: FeatureMapNorm
    public var isTraining = false

    init(_ config: HybridBackboneConfig, inChannels: Int, outChannels: Int, kernel: Int, stride: Int,
         rng: inout RandomGenerator) {
        conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride,
                      padding: kernel / 2, bias: false, rng: &rng)
        norm = makeFeatureMapNorm(config, channels: outChannels)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [("conv", conv), ("norm", norm)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { norm(conv(x)) }
}

/// One residual block (basic or bottleneck). Children: conv1, norm1, conv2, norm2[, conv3, norm3][, downsample].
public final class ResidualBlock: Module {
    public let layers: [(conv: Conv2d, norm: FeatureMapNorm)]
    public let downsample: ConvNorm?
    public var isTraining = false

    init(_ config: HybridBackboneConfig, inChannels: Int, outChannels: Int, stride: Int, rng: inout RandomGenerator) {
        func unit(_ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ rng: inout RandomGenerator) -> (Conv2d, FeatureMapNorm) {
            (Conv2d(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: k / 2, bias: false, rng: &rng),
             makeFeatureMapNorm(config, channels: cout))
        }
        switch config.blockType {
        case .basic:
            layers = [unit(inChannels, outChannels, 3, stride, &rng), unit(outChannels, outChannels, 3, 1, &rng)]
        case .bottleneck:
            let width = outChannels / 4
            layers = [unit(inChannels, width, 1, 1, &rng), unit(width, width, 3, stride, &rng),
                      unit(width, outChannels, 1, 1, &rng)]
        }
        downsample = (stride != 1 || inChannels != outChannels)
            ? ConvNorm(config, inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride, rng: &rng)
            : nil
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        for (i, layer) in layers.enumerated() {
            result.append(("conv\(i + 1)", layer.conv))
            result.append(("norm\(i + 1)", layer.norm))
        }
        if let downsample { result.append(("downsample", downsample)) }
        return result
    }

    /// x [B, Cin, H, W] → relu(F(x) + shortcut(x)) [B, Cout, H/s, W/s].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer.norm(layer.conv(h))
            if i < layers.count - 1 { h = h.relu() }
        }
        return (h + (downsample.map { $0(x) } ?? x)).relu()
    }
}

/// The hybrid backbone: images [B, C, H, W] → feature map [B, C', H/s, W/s], s = total stride.
public final class HybridBackbone: Module {
    public let config: HybridBackboneConfig
    public let stem: ConvNorm
    public let stages: ModuleList<ModuleList<ResidualBlock>>
    public var isTraining = false

    public init(config: HybridBackboneConfig, inChannels: Int, rng: inout RandomGenerator) {
        self.config = config
        stem = ConvNorm(config, inChannels: inChannels, outChannels: config.stemChannels,
                        kernel: config.stemKernel, stride: config.stemStride, rng: &rng)
        var channels = config.stemChannels
        var built: [ModuleList<ResidualBlock>] = []
        for stage in config.stages {
            var blocks: [ResidualBlock] = []
            for j in 0..<stage.blocks {
                blocks.append(ResidualBlock(config, inChannels: channels, outChannels: stage.channels,
                                            stride: j == 0 ? stage.stride : 1, rng: &rng))
                channels = stage.channels
            }
            built.append(ModuleList(blocks))
        }
        stages = ModuleList(built)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [("stem", stem), ("stages", stages)] }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        var x = stem(images).relu()
        if config.stemPool { x = x.maxPool2d(kernel: 3, stride: 2, padding: 1) }
        for stage in stages.modules {
            for block in stage.modules { x = block(x) }
        }
        return x
    }
}
