// The Vision Transformer (Dosovitskiy et al. 2021) as timm builds it, for every family the config
// can describe: patch embedding, prefix tokens (class, DeiT distillation, registers), learned
// position embedding (over the prefix tokens too, unless no_embed_class), optional norm_pre,
// pre-norm blocks (layer scale optional), then final norm → pool (token / avg / attention) →
// fc_norm → head. Legend: B batch, C channels, N patches, P prefix tokens, T = P + N, D width, K classes.

/// Which layers' attention probabilities a forward pass should keep.
public struct AttentionCaptureRequest {
    public var layers: Set<Int>?   // nil = every layer
    /// Keep only the explaining query row, [B, H, 1, T]: the class token's row, or for models
    /// without one the mean of the patch rows (`TokenLayout.classIndex`).
    public var queryRowsOnly: Bool

    public init(layers: Set<Int>? = nil, queryRowsOnly: Bool = false) {
        self.layers = layers
        self.queryRowsOnly = queryRowsOnly
    }

    func wants(layer: Int) -> Bool { layers?.contains(layer) ?? true }
}

/// Everything one forward pass produces.
public struct ViTOutput {
    public let logits: Tensor              // [B, K]; with 0 classes, the features (timm Identity head)
    public let features: Tensor            // [B, D]: the pooled pre-logits features (after fc_norm)
    public let tokens: Tensor              // [B, T, D]: all tokens after the blocks (and the final norm), prefix
                                           // first; [B, n, D], the n pooled tokens, when forward(allTokens: false)
    public let attentions: [Int: Tensor]   // layer → [B, H, T, T] (or [B, H, 1, T]); not on the tape
}

/// timm's VisionTransformer (and DeiT's VisionTransformerDistilled).
///
/// ```swift
/// let model = VisionTransformer(config: TimmRegistry.config(named: "vit_small_patch14_reg4_dinov2")!, seed: 0)
/// let out = model.forward(images, capture: AttentionCaptureRequest(queryRowsOnly: true))
/// ```
/// Modules start in evaluation mode; call `setTraining(true)` to enable dropout and drop path.
public final class VisionTransformer: Module {
    public private(set) var config: ViTConfig
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor?       // [1, 1, D]
    public let distToken: Tensor?      // [1, 1, D] (DeiT distilled)
    public let regToken: Tensor?       // [1, R, D]
    public let posEmbed: Tensor        // [1, N (+ P unless noEmbedClass), D]
    public let posDrop: Dropout
    public let normPre: LayerNorm?
    public let blocks: ModuleList<Block>
    /// The final norm before pooling; nil when it moves after the pool (`fcNorm`).
    public let norm: LayerNorm?
    public let attnPool: AttentionPool?
    /// CCT's sequence pool: Linear(D, 1) scores over the tokens.
    public let seqPool: Linear?
    public let fcNorm: LayerNorm?
    public let headDrop: Dropout
    /// The classifier; nil with 0 classes (timm's Identity head: logits are the features).
    public private(set) var head: Linear?
    /// DeiT's distillation head (on the distillation token).
    public private(set) var headDist: Linear?
    /// Dropout / drop-path draws (the trainer saves and restores its state).
    public let randomSource: RandomSource
    public var isTraining = false

    /// The patch grid (14×14 for 224/16).
    public var gridSize: (height: Int, width: Int) { patchEmbed.gridSize }

    /// Where the prefix and patch tokens sit (what attention maps are read against).
    public var tokenLayout: TokenLayout { config.tokenLayout }

    /// Builds the model with timm's initialisation: pos_embed trunc-normal(.02), cls_token
    /// normal(std 1e-6), register and distillation tokens trunc-normal(.02) / normal(1e-6) as
    /// timm, Linear trunc-normal(.02) with zero bias, LayerNorm ones/zeros, convs with PyTorch's
    /// default. The configuration must be valid (see `ViTConfig.validate()`).
    public init(config: ViTConfig, seed: UInt64) {
        do { try config.validate() } catch { preconditionFailure("invalid ViTConfig: \(error)") }
        self.config = config
        var rng = RandomGenerator(seed: seed)
        // Dropout masks use their own stream, so they never shift with the parameter count.
        randomSource = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        let d = config.embedDim
        patchEmbed = PatchEmbed(config: config, rng: &rng)
        clsToken = config.classToken
            ? (Tensor.randn([1, 1, d], rng: &rng) * 1e-6).detached().parameter(named: "cls_token") : nil
        regToken = config.registerTokens > 0
            ? (Tensor.randn([1, config.registerTokens, d], rng: &rng) * 1e-6).detached().parameter(named: "reg_token") : nil
        posEmbed = Initializer.truncatedNormal([1, config.positionCount, d], rng: &rng).parameter(named: "pos_embed")
        distToken = config.distilled ? Initializer.truncatedNormal([1, 1, d], rng: &rng).parameter(named: "dist_token") : nil
        posDrop = Dropout(probability: config.dropRate, randomSource: randomSource)
        normPre = config.preNorm ? LayerNorm(dimensions: d, eps: config.layerNormEps) : nil
        // Stochastic depth rises linearly from 0 to dropPathRate over the blocks (torch.linspace).
        let depth = config.depth
        var made: [Block] = []
        for i in 0..<depth {
            let rate = depth > 1 ? config.dropPathRate * Float(i) / Float(depth - 1) : 0
            made.append(Block(dimensions: d, heads: config.numHeads, mlpRatio: config.mlpRatio,
                              qkvBias: config.qkvBias, dropout: config.dropRate,
                              attentionDropout: config.attnDropRate, dropPath: rate,
                              layerNormEps: config.layerNormEps, layerScaleInit: config.layerScaleInit,
                              activation: config.activation, randomSource: randomSource, rng: &rng))
        }
        blocks = ModuleList(made)
        norm = config.usesFCNorm ? nil : LayerNorm(dimensions: d, eps: config.layerNormEps)
        attnPool = config.globalPool == .map ? AttentionPool(config: config, randomSource: randomSource, rng: &rng) : nil
        seqPool = config.globalPool == .seq ? Linear(inputDimensions: d, outputDimensions: 1, rng: &rng) : nil
        fcNorm = config.usesFCNorm ? LayerNorm(dimensions: d, eps: config.layerNormEps) : nil
        headDrop = Dropout(probability: config.dropRate, randomSource: randomSource)
        head = config.numClasses > 0 ? Linear(inputDimensions: d, outputDimensions: config.numClasses, rng: &rng) : nil
        headDist = config.distilled && config.distillationHead && config.numClasses > 0
            ? Linear(inputDimensions: d, outputDimensions: config.numClasses, rng: &rng) : nil
    }

    /// Validates `config` first and throws its one-line error instead of trapping.
    public static func make(config: ViTConfig, seed: UInt64) throws -> VisionTransformer {
        try config.validate()
        return VisionTransformer(config: config, seed: seed)
    }

    // timm's state_dict order: own parameters first (DeiT registers dist_token after pos_embed),
    // then the sub-modules.
    public var localParameters: [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        if let clsToken { result.append(("cls_token", clsToken)) }
        if let regToken { result.append(("reg_token", regToken)) }
        result.append(("pos_embed", posEmbed))
        if let distToken { result.append(("dist_token", distToken)) }
        return result
    }

    public var children: [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = [("patch_embed", patchEmbed), ("pos_drop", posDrop)]
        if let normPre { result.append(("norm_pre", normPre)) }
        result.append(("blocks", blocks))
        if let norm { result.append(("norm", norm)) }
        if let attnPool { result.append(("attn_pool", attnPool)) }
        if let seqPool { result.append(("seq_pool", seqPool)) }
        if let fcNorm { result.append(("fc_norm", fcNorm)) }
        result.append(("head_drop", headDrop))
        if let head { result.append(("head", head)) }
        if let headDist { result.append(("head_dist", headDist)) }
        return result
    }

    /// Replaces the head (and a distilled model's head_dist) with freshly initialised ones for
    /// `numClasses` (trunc-normal, zero bias); 0 removes them (logits are then the features).
    public func resetHead(numClasses: Int, seed: UInt64) {
        precondition(numClasses >= 0, "resetHead needs a class count ≥ 0, got \(numClasses)")
        var rng = RandomGenerator(seed: seed)
        let d = config.embedDim
        head = numClasses > 0 ? Linear(inputDimensions: d, outputDimensions: numClasses, rng: &rng) : nil
        headDist = config.distilled && config.distillationHead && numClasses > 0 ? Linear(inputDimensions: d, outputDimensions: numClasses, rng: &rng) : nil
        head?.isTraining = isTraining
        headDist?.isTraining = isTraining
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

    /// images [B, C, H, W] → logits [B, K] (the last block carries only the pooled tokens).
    public func callAsFunction(_ images: Tensor) -> Tensor {
        forward(images, allTokens: false).logits
    }

    /// How many leading tokens the pooling reads when it reads tokens by position (the class
    /// token, and a distilled model's distillation token); nil when it reads them all.
    public var pooledLeadingTokens: Int? {
        guard config.globalPool == .token else { return nil }
        return config.distilled ? 2 : 1
    }

    /// How many leading tokens the last block carries past its attention in a forward pass with
    /// `allTokens: false` (as `callAsFunction` runs), in the current training mode; nil: all of them.
    public var lastBlockCarriedTokens: Int? {
        guard let last = blocks.modules.last, last.carriesTokensIndependently else { return nil }
        return pooledLeadingTokens
    }

    /// The full forward pass; attention probabilities of the requested layers are kept in the
    /// same pass (off the tape), and only those, so memory stays bounded.
    /// `allTokens: false` lets a model that pools leading tokens (`pooledLeadingTokens`) run its
    /// last block past the attention on those tokens alone (Block.forward(leadingTokens:)): the
    /// logits and features are the same, about 6 % of the multiply-adds are skipped in the forward
    /// and the backward, and `tokens` holds just the pooled tokens.
    public func forward(_ images: Tensor, capture: AttentionCaptureRequest? = nil,
                        allTokens: Bool = true) -> ViTOutput {
        let expected = [config.inChannels, config.imageSize, config.imageSize]
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == expected,
                     "VisionTransformer expects images [B, \(expected.map(String.init).joined(separator: ", "))], got \(images.shape)")
        let b = images.shape[0], d = config.embedDim
        var x = embed(patchEmbed(images))                                         // [B, T, D]
        x = posDrop(x)
        if let normPre { x = normPre(x) }
        var attentions: [Int: Tensor] = [:]
        for (i, block) in blocks.modules.enumerated() {
            let keep = capture?.wants(layer: i) ?? false
            let leading = !allTokens && i == blocks.modules.count - 1 ? lastBlockCarriedTokens : nil
            let (y, probabilities) = block.forward(x, keepProbabilities: keep, leadingTokens: leading)
            x = y
            if keep, let p = probabilities {
                attentions[i] = capture!.queryRowsOnly ? tokenLayout.queryRows(p) : p.detached()
            }
        }
        let tokens = norm.map { $0(x) } ?? x                                      // [B, T, D]
        func token(_ index: Int) -> Tensor { tokens.sliced(axis: 1, index..<(index + 1)).reshaped([b, d]) }
        let layout = tokenLayout
        var pooled: Tensor                                                        // [B, D]
        switch config.globalPool {
        case .token: pooled = token(0)
        case .avg: pooled = tokens.sliced(axis: 1, layout.patchRange).mean(axis: 1)
        case .map: pooled = attnPool!(tokens.sliced(axis: 1, layout.patchRange))
        case .seq:
            // CCT: w = softmax over the tokens of Linear(D, 1); pooled = Σ w·x.
            let t = tokens.shape[1]
            let weights = seqPool!(tokens).reshaped([b, t]).softmax(axis: -1).reshaped([b, t, 1])
            pooled = weights.matmul(tokens, transposeSelf: true).reshaped([b, d])
        }
        if let fcNorm { pooled = fcNorm(pooled) }
        guard config.distilled else {
            let logits = head.map { $0(headDrop(pooled)) } ?? pooled
            return ViTOutput(logits: logits, features: pooled, tokens: tokens, attentions: attentions)
        }
        // DeiT: class and distillation heads; inference averages them (timm). Training uses the
        // class head alone, so a distilled model fine-tunes like a plain one.
        let distilled = token(1)
        guard config.distillationHead else {   // HF DeiTForImageClassification: the class token alone
            let logits = head.map { $0(headDrop(pooled)) } ?? pooled
            return ViTOutput(logits: logits, features: pooled, tokens: tokens, attentions: attentions)
        }
        let features = (pooled + distilled) * 0.5
        guard let head, let headDist else {
            return ViTOutput(logits: features, features: features, tokens: tokens, attentions: attentions)
        }
        let classLogits = head(headDrop(pooled))
        let logits = isTraining ? classLogits : (classLogits + headDist(headDrop(distilled))) * 0.5
        return ViTOutput(logits: logits, features: features, tokens: tokens, attentions: attentions)
    }

    /// patches [B, N, D] → [B, T, D]: prefix tokens in front, position embedding added (timm
    /// `_pos_embed`: after the concatenation, or to the patches alone with no_embed_class).
    private func embed(_ patches: Tensor) -> Tensor {
        let b = patches.shape[0], d = config.embedDim
        var prefix: [Tensor] = []
        if let clsToken { prefix.append(clsToken.broadcast(to: [b, 1, d])) }
        if let distToken { prefix.append(distToken.broadcast(to: [b, 1, d])) }
        if let regToken { prefix.append(regToken.broadcast(to: [b, config.registerTokens, d])) }
        if config.noEmbedClass {
            let placed = patches + posEmbed
            return prefix.isEmpty ? placed : Tensor.concatenate(prefix + [placed], axis: 1)
        }
        let all = prefix.isEmpty ? patches : Tensor.concatenate(prefix + [patches], axis: 1)
        return all + posEmbed
    }
}

extension TokenLayout {
    /// [B, H, T, T] → the explaining query row [B, H, 1, T] as a new tensor off the tape: the
    /// class token's row, or the mean of the patch rows for models without one.
    public func queryRows(_ p: Tensor) -> Tensor {
        let (b, h, t) = (p.shape[0], p.shape[1], p.shape[3])
        var rows = [Float](repeating: 0, count: b * h * t)
        p.data.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for item in 0..<(b * h) {
                    let out = dst.baseAddress! + item * t
                    if let c = classIndex {
                        out.update(from: src.baseAddress! + (item * t + c) * t, count: t)
                        continue
                    }
                    let scale = 1 / Float(patchCount)
                    for row in patchRange {
                        let input = src.baseAddress! + (item * t + row) * t
                        for j in 0..<t { out[j] += input[j] * scale }
                    }
                }
            }
        }
        return Tensor(shape: [b, h, 1, t], data: rows)
    }
}
