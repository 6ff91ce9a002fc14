// The convolutional tokenizer of the Compact Convolutional Transformer (Hassani et al. 2021,
// "Escaping the Big Data Paradigm with Compact Transformers"): n layers of conv (no bias) → ReLU
// → 3×3 max pool at stride 2, channels in → 64 → … → D. Conv stride max(1, k/2 − 1) and padding
// max(1, k/2), as the paper's code. The last conv is PatchEmbed's `proj`; the earlier ones live here.

/// The tokenizer's shape (CCT-7/3x1: one 3×3 layer; CCT-2/3x2: two).
public struct ConvTokenizerConfig: Equatable, Codable {
    public var layers: Int
    public var kernel: Int
    public var channels: Int = 64      // the intermediate layers' width
    public var pool: Bool = true

    public init(layers: Int, kernel: Int, channels: Int = 64, pool: Bool = true) {
        self.layers = layers
        self.kernel = kernel
        self.channels = channels
        self.pool = pool
    }

    public var stride: Int { max(1, kernel / 2 - 1) }
    public var padding: Int { max(1, kernel / 2) }

    /// The token grid side for a square image of `side` pixels.
    public func gridSide(image side: Int) -> Int {
        var s = side
        for _ in 0..<layers {
            s = (s + 2 * padding - kernel) / stride + 1
            if pool { s = (s + 2 - 3) / 2 + 1 }
        }
        return s
    }

    public func validate() throws {
        if layers <= 0 || kernel <= 0 || channels <= 0 {
            throw ViTConfigError(message: "model.conv_tokenizer: layers \(layers), kernel \(kernel), channels \(channels) must be positive")
        }
    }
}

/// The tokenizer's first `layers − 1` stages; paths `patch_embed.tokenizer.convs.{i}.weight`.
public final class ConvTokenizer: Module {
    public let convs: ModuleList<Conv2d>
    public let config: ConvTokenizerConfig
    public var isTraining = false

    public init(config: ConvTokenizerConfig, inChannels: Int, rng: inout RandomGenerator) {
        self.config = config
        var made: [Conv2d] = []
        var channels = inChannels
        for _ in 0..<(config.layers - 1) {
            made.append(Conv2d(inChannels: channels, outChannels: config.channels, kernelSize: config.kernel,
                               stride: config.stride, padding: config.padding, bias: false, rng: &rng))
            channels = config.channels
        }
        convs = ModuleList(made)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [("convs", convs)] }

    /// One stage: conv → ReLU → max pool, computed as conv → max pool → ReLU. ReLU is monotone, so
    /// max(ReLU(window)) = ReLU(max(window)) and both orders send the gradient to the same element
    /// (none when the window's max is ≤ 0); pooling first leaves ReLU a quarter of the values.
    public func stage(_ conv: Conv2d, _ x: Tensor) -> Tensor {
        let y = conv(x)
        return (config.pool ? y.maxPool2d(kernel: 3, stride: 2, padding: 1) : y).relu()
    }

    /// images [B, C, H, W] → the last stage's input [B, C', H', W'].
    public func callAsFunction(_ images: Tensor) -> Tensor {
        convs.modules.reduce(images) { stage($1, $0) }
    }
}
