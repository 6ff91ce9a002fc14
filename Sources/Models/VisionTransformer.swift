// The Vision Transformer (Dosovitskiy et al. 2021) as timm builds it: patch embedding, CLS token,
// learned position embedding, pre-norm blocks, final LayerNorm, linear head on the CLS token.
// Legend: B batch, C channels, N patches, T = 1 + N tokens, D width, H heads, K classes.

/// Which layers' attention probabilities a forward pass should keep.
public struct AttentionCaptureRequest {
    public var layers: Set<Int>?   // nil = every layer
    public var clsRowsOnly: Bool   // keep only the CLS query row: [B, H, 1, T]

    public init(layers: Set<Int>? = nil, clsRowsOnly: Bool = false) {
        self.layers = layers
        self.clsRowsOnly = clsRowsOnly
    }

    func wants(layer: Int) -> Bool { layers?.contains(layer) ?? true }
}

/// Everything one forward pass produces.
public struct ViTOutput {
    public let logits: Tensor              // [B, numClasses]; with 0 classes, the features (timm Identity head)
    public let features: Tensor            // [B, D]: CLS token after the final norm (pre-logits)
    public let tokens: Tensor              // [B, T, D]: all tokens after the final norm, CLS first
    public let attentions: [Int: Tensor]   // layer → [B, H, T, T] (or [B, H, 1, T]); not on the tape
}

/// timm's VisionTransformer (class-token pooling, no registers, no layer scale).
///
/// ```swift
/// let model = VisionTransformer(config: ViTPresets.config(named: "vit-tiny")!, seed: 0)
/// let out = model.forward(images, capture: AttentionCaptureRequest(clsRowsOnly: true))
/// ```
/// Modules start in evaluation mode; call `setTraining(true)` to enable dropout and drop path.
public final class VisionTransformer: Module {
    public private(set) var config: ViTConfig
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor        // [1, 1, D]
    public let posEmbed: Tensor        // [1, T, D]
    public let posDrop: Dropout
    public let blocks: ModuleList<Block>
    public let norm: LayerNorm
    public let headDrop: Dropout
    /// The classifier; nil with 0 classes (timm's Identity head: logits are the features).
    public private(set) var head: Linear?
    /// Dropout / drop-path draws (the trainer saves and restores its state).
    public let randomSource: RandomSource
    public var isTraining = false

    /// The patch grid (14×14 for 224/16).
    public var gridSize: (height: Int, width: Int) { patchEmbed.gridSize }

    /// Builds the model with timm's initialisation: pos_embed trunc-normal(.02), cls_token
    /// normal(std 1e-6), Linear trunc-normal(.02) with zero bias, LayerNorm ones/zeros, convs
    /// with PyTorch's default. The configuration must be valid (see `ViTConfig.validate()`).
    public init(config: ViTConfig, seed: UInt64) {
        do { try config.validate() } catch { preconditionFailure("invalid ViTConfig: \(error)") }
        self.config = config
        var rng = RandomGenerator(seed: seed)
        // Dropout masks use their own stream, so they never shift with the parameter count.
        randomSource = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        let d = config.embedDim
        patchEmbed = PatchEmbed(config: config, rng: &rng)
        clsToken = (Tensor.randn([1, 1, d], rng: &rng) * 1e-6).detached().parameter(named: "cls_token")
        posEmbed = Initializer.truncatedNormal([1, config.tokenCount, d], rng: &rng).parameter(named: "pos_embed")
        posDrop = Dropout(probability: config.dropRate, randomSource: randomSource)
        // Stochastic depth rises linearly from 0 to dropPathRate over the blocks (torch.linspace).
        let depth = config.depth
        var made: [Block] = []
        for i in 0..<depth {
            let rate = depth > 1 ? config.dropPathRate * Float(i) / Float(depth - 1) : 0
            made.append(Block(dimensions: d, heads: config.numHeads, mlpRatio: config.mlpRatio,
                              qkvBias: config.qkvBias, dropout: config.dropRate,
                              attentionDropout: config.attnDropRate, dropPath: rate,
                              layerNormEps: config.layerNormEps, randomSource: randomSource, rng: &rng))
        }
        blocks = ModuleList(made)
        norm = LayerNorm(dimensions: d, eps: config.layerNormEps)
        headDrop = Dropout(probability: config.dropRate, randomSource: randomSource)
        head = config.numClasses > 0 ? Linear(inputDimensions: d, outputDimensions: config.numClasses, rng: &rng) : nil
    }

    /// Validates `config` first and throws its one-line error instead of trapping.
    public static func make(config: ViTConfig, seed: UInt64) throws -> VisionTransformer {
        try config.validate()
        return VisionTransformer(config: config, seed: seed)
    }

    // timm's state_dict order: own parameters first, then the sub-modules.
    public var localParameters: [(name: String, tensor: Tensor)] {
        [("cls_token", clsToken), ("pos_embed", posEmbed)]
    }

    public var children: [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = [
            ("patch_embed", patchEmbed), ("pos_drop", posDrop), ("blocks", blocks), ("norm", norm), ("head_drop", headDrop)]
        if let head { result.append(("head", head)) }
        return result
    }

    /// Replaces the head with a freshly initialised one for `numClasses` (trunc-normal, zero
    /// bias); 0 removes it (logits are then the features).
    public func resetHead(numClasses: Int, seed: UInt64) {
        precondition(numClasses >= 0, "resetHead needs a class count ≥ 0, got \(numClasses)")
        var rng = RandomGenerator(seed: seed)
        head = numClasses > 0 ? Linear(inputDimensions: config.embedDim, outputDimensions: numClasses, rng: &rng) : nil
        head?.isTraining = isTraining
        config.numClasses = numClasses
    }

    /// Checks that an image batch of `shape` fits this model, with a one-line error otherwise
    /// (`forward` itself treats a mismatch as a programmer error and traps).
    public func checkInput(shape: [Int]) throws {
        let expected = [config.inChannels, config.imageSize, config.imageSize]
        guard shape.count == 4, shape[0] > 0, Array(shape.dropFirst()) == expected else {
            throw ViTConfigError(message: "images: shape [\(shape.map(String.init).joined(separator: ", "))], the model expects [B, \(expected.map(String.init).joined(separator: ", "))]")
        }
    }

    /// images [B, C, H, W] → logits [B, K].
    public func callAsFunction(_ images: Tensor) -> Tensor {
        forward(images).logits
    }

    /// The full forward pass; attention probabilities of the requested layers are kept in the
    /// same pass (off the tape), and only those, so memory stays bounded.
    public func forward(_ images: Tensor, capture: AttentionCaptureRequest? = nil) -> ViTOutput {
        let expected = [config.inChannels, config.imageSize, config.imageSize]
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == expected,
                     "VisionTransformer expects images [B, \(expected.map(String.init).joined(separator: ", "))], got \(images.shape)")
        let b = images.shape[0], d = config.embedDim
        let patches = patchEmbed(images)                                          // [B, N, D]
        let cls = clsToken.broadcast(to: [b, 1, d])                               // [B, 1, D]
        var x = Tensor.concatenate([cls, patches], axis: 1) + posEmbed            // [B, T, D]
        x = posDrop(x)
        var attentions: [Int: Tensor] = [:]
        for (i, block) in blocks.modules.enumerated() {
            let keep = capture?.wants(layer: i) ?? false
            let (y, probabilities) = block.forward(x, keepProbabilities: keep)
            x = y
            if keep, let p = probabilities {
                attentions[i] = capture!.clsRowsOnly ? Self.clsRows(p) : p.detached()
            }
        }
        let tokens = norm(x)                                                      // [B, T, D]
        let features = tokens.sliced(axis: 1, 0..<1).reshaped([b, d])             // [B, D]
        let pooled = headDrop(features)
        let logits = head.map { $0(pooled) } ?? pooled                            // [B, K]
        return ViTOutput(logits: logits, features: features, tokens: tokens, attentions: attentions)
    }

    /// [B, H, T, T] → the CLS query rows [B, H, 1, T], as a new tensor off the tape.
    static func clsRows(_ p: Tensor) -> Tensor {
        let (b, h, t) = (p.shape[0], p.shape[1], p.shape[3])
        var rows = [Float](repeating: 0, count: b * h * t)
        p.data.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for item in 0..<(b * h) {
                    (dst.baseAddress! + item * t).update(from: src.baseAddress! + item * t * t, count: t)
                }
            }
        }
        return Tensor(shape: [b, h, 1, t], data: rows)
    }
}
