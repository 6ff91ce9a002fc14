// What the optimizer and freezing need to know about a model's parameters, asked of the model
// rather than written as string rules in Training: timm's no_weight_decay() set, the layer ids
// of its group_matcher (for layer-wise lr decay), and the paths of the position embedding and
// prefix tokens (the "position embedding" freeze preset).

public protocol ParameterPolicy {
    /// Whether `path` (of tensor rank `rank`) gets no weight decay: timm's no_weight_decay()
    /// names plus its 1-D rule (norm weights, biases, layer-scale gammas).
    func excludedFromWeightDecay(path: String, rank: Int) -> Bool
    /// timm's layer id: 0 for the stem, i + 1 for block i, `layerIDCount - 1` for the rest.
    func layerID(path: String) -> Int
    /// The number of layer ids (depth + 2).
    var layerIDCount: Int { get }
    /// The position embedding and the prefix tokens (cls, dist, reg, latent query).
    var positionEmbeddingPaths: [String] { get }
    /// The patch embedding's paths, as a glob.
    var patchEmbeddingPattern: String { get }
    /// The paths of block `index`, as a glob.
    func blockPattern(_ index: Int) -> String
}

extension VisionTransformer: ParameterPolicy {
    public func excludedFromWeightDecay(path: String, rank: Int) -> Bool {
        rank <= 1 || path.hasSuffix(".bias") || positionEmbeddingPaths.contains(path)
    }

    public func layerID(path: String) -> Int {
        // timm group_matcher: stem = ^cls_token|reg_token|pos_embed|patch_embed|norm_pre (and DeiT's dist_token)
        let stem = ["cls_token", "reg_token", "dist_token", "pos_embed"]
        if stem.contains(path) || path.hasPrefix("patch_embed.") || path.hasPrefix("norm_pre.") { return 0 }
        if path.hasPrefix("blocks.") {
            let index = path.dropFirst("blocks.".count).prefix { $0.isNumber }
            if let i = Int(index) { return i + 1 }
        }
        return config.depth + 1
    }

    public var layerIDCount: Int { config.depth + 2 }

    public var positionEmbeddingPaths: [String] {
        localParameters.map(\.name)
    }

    public var patchEmbeddingPattern: String { "patch_embed.*" }

    public func blockPattern(_ index: Int) -> String { "blocks.\(index).*" }
}
