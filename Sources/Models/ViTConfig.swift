// Architecture hyper-parameters of the Vision Transformer (timm's VisionTransformer arguments)
// and of the optional convolutional backbone of a hybrid ViT. Plain Codable structs whose
// defaults mirror timm; JSON mapping with key checking lives in the trainer's config code.

@_exported import NN

/// Architecture hyper-parameters (timm's VisionTransformer arguments). Besides the sizes, a
/// config says which ViT family it is: its prefix tokens (class, DeiT distillation, registers),
/// whether `pos_embed` covers them, its pooling, and the norms, layer scale and activation of
/// its blocks. `TimmRegistry` maps timm's architecture names to these values.
public struct ViTConfig: Equatable, Codable {
    /// How the token sequence becomes one feature vector (timm `global_pool`).
    public enum GlobalPool: String, Codable, CaseIterable {
        case token      // the class token
        case avg        // the mean of the patch tokens
        case map        // multi-head attention pooling with a learned latent query (SigLIP)
        case seq        // CCT's sequence pooling: softmax(Linear(D, 1)) weights over the tokens
    }

    /// The MLP activation (timm `act_layer`).
    public typealias Activation = ActivationKind

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
    public var classToken: Bool = true      // timm class_token
    public var registerTokens: Int = 0      // timm reg_tokens ("Vision Transformers Need Registers")
    public var distilled: Bool = false      // DeiT: a distillation token after the class token, and head_dist
    public var distillationHead: Bool = true // false: a distilled model with the class head only (HF DeiTForImageClassification)
    public var noEmbedClass: Bool = false   // pos_embed covers the patches only (DeiT III, DINOv2 reg)
    public var globalPool: GlobalPool = .token
    public var fcNorm: Bool? = nil          // nil: timm's rule, on for avg pooling (final norm moves after the pool)
    public var preNorm: Bool = false        // norm_pre after the embeddings (CLIP)
    public var layerScaleInit: Float? = nil // timm init_values: ls1/ls2 gammas when set (DINOv2, DeiT III)
    public var activation: Activation = .gelu
    public var patchBias: Bool? = nil       // nil: timm's rule, a bias unless pre_norm (CLIP has none)
    public var hybrid: HybridBackboneConfig? = nil   // nil: plain patch embedding
    public var convTokenizer: ConvTokenizerConfig? = nil   // CCT's conv tokenizer instead of patches

    public init(imageSize: Int = 224, patchSize: Int = 16, inChannels: Int = 3, numClasses: Int = 1000,
                embedDim: Int = 768, depth: Int = 12, numHeads: Int = 12, mlpRatio: Double = 4,
                qkvBias: Bool = true, dropRate: Float = 0, attnDropRate: Float = 0, dropPathRate: Float = 0,
                layerNormEps: Float = 1e-6, classToken: Bool = true, registerTokens: Int = 0,
                distilled: Bool = false, distillationHead: Bool = true, noEmbedClass: Bool = false, globalPool: GlobalPool = .token,
                fcNorm: Bool? = nil, preNorm: Bool = false, layerScaleInit: Float? = nil,
                activation: Activation = .gelu, patchBias: Bool? = nil, hybrid: HybridBackboneConfig? = nil,
                convTokenizer: ConvTokenizerConfig? = nil) {
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
        self.classToken = classToken
        self.registerTokens = registerTokens
        self.distilled = distilled
        self.distillationHead = distillationHead
        self.noEmbedClass = noEmbedClass
        self.globalPool = globalPool
        self.fcNorm = fcNorm
        self.preNorm = preNorm
        self.layerScaleInit = layerScaleInit
        self.activation = activation
        self.patchBias = patchBias
        self.hybrid = hybrid
        self.convTokenizer = convTokenizer
    }

    // Checkpoints written before the family fields existed lack their keys: each field decodes
    // with its default when absent.
    private enum CodingKeys: String, CodingKey {
        case imageSize, patchSize, inChannels, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias,
             dropRate, attnDropRate, dropPathRate, layerNormEps, classToken, registerTokens, distilled,
             distillationHead, noEmbedClass, globalPool, fcNorm, preNorm, layerScaleInit, activation, patchBias, hybrid, convTokenizer
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ViTConfig()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        self.init(
            imageSize: try value(.imageSize, d.imageSize), patchSize: try value(.patchSize, d.patchSize),
            inChannels: try value(.inChannels, d.inChannels), numClasses: try value(.numClasses, d.numClasses),
            embedDim: try value(.embedDim, d.embedDim), depth: try value(.depth, d.depth),
            numHeads: try value(.numHeads, d.numHeads), mlpRatio: try value(.mlpRatio, d.mlpRatio),
            qkvBias: try value(.qkvBias, d.qkvBias), dropRate: try value(.dropRate, d.dropRate),
            attnDropRate: try value(.attnDropRate, d.attnDropRate), dropPathRate: try value(.dropPathRate, d.dropPathRate),
            layerNormEps: try value(.layerNormEps, d.layerNormEps), classToken: try value(.classToken, d.classToken),
            registerTokens: try value(.registerTokens, d.registerTokens), distilled: try value(.distilled, d.distilled),
            distillationHead: try value(.distillationHead, d.distillationHead),
            noEmbedClass: try value(.noEmbedClass, d.noEmbedClass), globalPool: try value(.globalPool, d.globalPool),
            fcNorm: try c.decodeIfPresent(Bool.self, forKey: .fcNorm), preNorm: try value(.preNorm, d.preNorm),
            layerScaleInit: try c.decodeIfPresent(Float.self, forKey: .layerScaleInit),
            activation: try value(.activation, d.activation), patchBias: try c.decodeIfPresent(Bool.self, forKey: .patchBias),
            hybrid: try c.decodeIfPresent(HybridBackboneConfig.self, forKey: .hybrid),
            convTokenizer: try c.decodeIfPresent(ConvTokenizerConfig.self, forKey: .convTokenizer))
    }

    /// Whether the final norm is applied after pooling (timm fc_norm) instead of before it.
    public var usesFCNorm: Bool { fcNorm ?? (globalPool == .avg) }

    /// The same architecture with `fcNorm` and `patchBias` left nil where they equal timm's
    /// rules, so two descriptions of one model compare equal.
    public var canonical: ViTConfig {
        var c = self
        if c.fcNorm == (c.globalPool == .avg) { c.fcNorm = nil }
        if c.patchBias == !c.preNorm { c.patchBias = nil }
        return c
    }

    /// Whether the patch projection has a bias (timm: bias = not pre_norm).
    public var hasPatchBias: Bool { patchBias ?? !preNorm }

    /// Prefix tokens before the patches, in timm's order: class, distillation, registers.
    public var prefixTokenCount: Int { (classToken ? 1 : 0) + (distilled ? 1 : 0) + registerTokens }

    /// Rows of pos_embed: the patches, plus the prefix tokens unless `noEmbedClass`.
    public var positionCount: Int { gridSide * gridSide + (noEmbedClass ? 0 : prefixTokenCount) }

    /// The MLP's hidden width (timm: int(dim · mlp_ratio)).
    public var mlpHiddenDim: Int { Int(Double(embedDim) * mlpRatio) }

    /// The side of the token grid: image / patch, or image / backbone stride for a hybrid.
    public var gridSide: Int {
        if let convTokenizer { return convTokenizer.gridSide(image: imageSize) }
        if let hybrid { return imageSize / hybrid.totalStride }
        return imageSize / patchSize
    }

    /// Tokens per image: the prefix tokens, then the patches.
    public var tokenCount: Int { prefixTokenCount + gridSide * gridSide }

    /// Where each kind of token sits in the sequence (what Interpret needs).
    public var tokenLayout: TokenLayout {
        TokenLayout(classTokens: classToken ? 1 : 0, distillationTokens: distilled ? 1 : 0,
                    registerTokens: registerTokens, gridHeight: gridSide, gridWidth: gridSide)
    }

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
        if registerTokens < 0 { throw fail("model.reg_tokens: \(registerTokens) must not be negative") }
        if globalPool == .token && !classToken {
            throw fail("model.global_pool: 'token' pooling needs the class token (class_token is false); use 'avg' or 'map'")
        }
        if distilled && !(classToken && globalPool == .token) {
            throw fail("model.distilled: a distillation token needs the class token and 'token' pooling")
        }
        if let v = layerScaleInit, !(v.isFinite && v > 0) {
            throw fail("model.init_values: \(v) must be a positive layer-scale start value")
        }
        if !(layerNormEps.isFinite && layerNormEps > 0) { throw fail("model.layer_norm_eps: \(layerNormEps) must be positive") }
        for (name, rate) in [("drop_rate", dropRate), ("attn_drop_rate", attnDropRate), ("drop_path_rate", dropPathRate)]
        where !(rate >= 0 && rate < 1) {
            throw fail("model.\(name): \(rate) must be in [0, 1)")
        }
        if let convTokenizer {
            try convTokenizer.validate()
            if convTokenizer.gridSide(image: imageSize) <= 0 {
                throw fail("model.image_size: \(imageSize) is too small for the conv tokenizer's \(convTokenizer.layers) stages")
            }
        } else if let hybrid {
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
