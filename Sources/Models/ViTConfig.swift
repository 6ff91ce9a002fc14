// Architecture hyper-parameters of the Vision Transformer (timm's VisionTransformer arguments)
// and of the optional convolutional backbone of a hybrid ViT. Plain Codable structs whose
// defaults mirror timm; JSON mapping with key checking lives in the trainer's config code.

@_exported import NN

/// Architecture hyper-parameters (timm's VisionTransformer arguments).
public struct ViTConfig: Equatable, Codable {
    public var imageSize: Int = 224        // square images (timm img_size)
    public var patchSize: Int = 16         // ignored by a hybrid model (its proj is 1×1)
    public var inChannels: Int = 3
    public var numClasses: Int = 1000       // 0: no head, logits are the pre-logits features
    public var embedDim: Int = 768
    public var depth: Int = 12
    public var numHeads: Int = 12
    public var mlpRatio: Double = 4
    public var qkvBias: Bool = true
    public var dropRate: Float = 0          // pos_drop, proj_drop, mlp drop, head drop
    public var attnDropRate: Float = 0
    public var dropPathRate: Float = 0      // linearly increasing over blocks, as timm
    public var layerNormEps: Float = 1e-6
    public var hybrid: HybridBackboneConfig? = nil   // nil: plain patch embedding

    public init(imageSize: Int = 224, patchSize: Int = 16, inChannels: Int = 3, numClasses: Int = 1000,
                embedDim: Int = 768, depth: Int = 12, numHeads: Int = 12, mlpRatio: Double = 4,
                qkvBias: Bool = true, dropRate: Float = 0, attnDropRate: Float = 0, dropPathRate: Float = 0,
                layerNormEps: Float = 1e-6, hybrid: HybridBackboneConfig? = nil) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.numClasses = numClasses
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.mlpRatio = mlpRatio
        self.qkvBias = qkvBias
        self.dropRate = dropRate
        self.attnDropRate = attnDropRate
        self.dropPathRate = dropPathRate
        self.layerNormEps = layerNormEps
        self.hybrid = hybrid
    }

    /// The MLP's hidden width (timm: int(dim · mlp_ratio)).
    public var mlpHiddenDim: Int { Int(Double(embedDim) * mlpRatio) }

    /// The side of the token grid: image / patch, or image / backbone stride for a hybrid.
    public var gridSide: Int {
        if let hybrid { return imageSize / hybrid.totalStride }
        return imageSize / patchSize
    }

    /// Tokens per image including CLS.
    public var tokenCount: Int { 1 + gridSide * gridSide }

    /// Checks the combination of values; the message names the field and what was expected.
    public func validate() throws {
        func fail(_ message: String) -> ViTConfigError { ViTConfigError(message: message) }
        if imageSize <= 0 { throw fail("model.image_size: \(imageSize) must be positive") }
        if inChannels <= 0 { throw fail("model.in_chans: \(inChannels) must be positive") }
        if numClasses < 0 { throw fail("model.num_classes: \(numClasses) must not be negative (0: no head)") }
        if embedDim <= 0 || depth < 0 || numHeads <= 0 {
            throw fail("model: embed_dim \(embedDim), depth \(depth), num_heads \(numHeads) must be positive")
        }
        if embedDim % numHeads != 0 {
            throw fail("model.embed_dim: \(embedDim) is not divisible by num_heads \(numHeads)")
        }
        if mlpRatio <= 0 { throw fail("model.mlp_ratio: \(mlpRatio) must be positive") }
        for (name, rate) in [("drop_rate", dropRate), ("attn_drop_rate", attnDropRate), ("drop_path_rate", dropPathRate)]
        where !(rate >= 0 && rate < 1) {
            throw fail("model.\(name): \(rate) must be in [0, 1)")
        }
        if let hybrid {
            try hybrid.validate()
            if imageSize % hybrid.totalStride != 0 {
                throw fail("model.image_size: \(imageSize) is not divisible by the hybrid backbone's total stride \(hybrid.totalStride)")
            }
        } else {
            if patchSize <= 0 || imageSize % patchSize != 0 {
                throw fail("model.patch_size: \(patchSize) must divide image_size \(imageSize)")
            }
        }
    }
}

/// A configuration that cannot build a model; one line naming the field.
public struct ViTConfigError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// The ResNet-style convolutional backbone of a hybrid ViT: a stem, then stages of residual
/// blocks; its feature map [B, C', h, w] is projected by a 1×1 conv to the tokens.
public struct HybridBackboneConfig: Equatable, Codable {
    public enum BlockType: String, Codable { case basic, bottleneck }
    public enum NormType: String, Codable { case batch, group }

    /// One stage: `blocks` residual blocks with `channels` outputs; the first block has `stride`.
    public struct Stage: Equatable, Codable {
        public var blocks: Int
        public var channels: Int
        public var stride: Int
        public init(blocks: Int, channels: Int, stride: Int) {
            self.blocks = blocks
            self.channels = channels
            self.stride = stride
        }
    }

    public var stemChannels: Int = 64
    public var stemKernel: Int = 7          // padding is kernel / 2
    public var stemStride: Int = 2
    public var stemPool: Bool = true        // 3×3 max pool, stride 2, padding 1 after the stem
    public var stages: [Stage] = []
    public var blockType: BlockType = .basic
    public var norm: NormType = .batch
    public var groupNormGroups: Int = 32    // for norm == .group (clamped to a divisor of the channels)

    public init(stemChannels: Int = 64, stemKernel: Int = 7, stemStride: Int = 2, stemPool: Bool = true,
                stages: [Stage] = [], blockType: BlockType = .basic, norm: NormType = .batch,
                groupNormGroups: Int = 32) {
        self.stemChannels = stemChannels
        self.stemKernel = stemKernel
        self.stemStride = stemStride
        self.stemPool = stemPool
        self.stages = stages
        self.blockType = blockType
        self.norm = norm
        self.groupNormGroups = groupNormGroups
    }

    /// Input pixels per feature-map cell along each side.
    public var totalStride: Int {
        stages.reduce(stemStride * (stemPool ? 2 : 1)) { $0 * $1.stride }
    }

    /// Channels of the final feature map.
    public var outputChannels: Int {
        stages.last.map { $0.channels } ?? stemChannels
    }

    public func validate() throws {
        if stemChannels <= 0 || stemKernel <= 0 || stemStride <= 0 {
            throw ViTConfigError(message: "model.hybrid: stem channels \(stemChannels), kernel \(stemKernel) and stride \(stemStride) must be positive")
        }
        if stemKernel % 2 == 0 {
            throw ViTConfigError(message: "model.hybrid.stem_kernel: \(stemKernel) must be odd (padding is kernel / 2)")
        }
        for (i, stage) in stages.enumerated() where stage.blocks <= 0 || stage.channels <= 0 || stage.stride <= 0 {
            throw ViTConfigError(message: "model.hybrid.stages[\(i)]: blocks \(stage.blocks), channels \(stage.channels), stride \(stage.stride) must be positive")
        }
        if blockType == .bottleneck, let bad = stages.firstIndex(where: { $0.channels % 4 != 0 }) {
            throw ViTConfigError(message: "model.hybrid.stages[\(bad)]: bottleneck channels \(stages[bad].channels) must be divisible by 4")
        }
        if norm == .group && groupNormGroups <= 0 {
            throw ViTConfigError(message: "model.hybrid.group_norm_groups: \(groupNormGroups) must be positive")
        }
    }
}
