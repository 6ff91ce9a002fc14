// What a timm-named state dict shows about its architecture by itself: sizes, prefix tokens,
// which norms, layer scales, pools and heads exist. Heads, LayerNorm eps and the activation are
// not visible in tensors; they come from a config or a flag.

import FileFormats
import Models

struct TensorFacts {
    let file: String
    let embedDim, depth, patchSize, inChannels, numClasses: Int
    let mlpRatio: Double
    let qkvBias, classToken, distilled, distillationHead: Bool
    let registerTokens, positionRows: Int
    let layerScale, preNorm, patchBias, fcNorm, attentionPool: Bool

    init(_ p: StateDictionary, file: String) throws {
        self.file = file
        func shape(_ key: String) throws -> [Int] {
            guard let s = p[key]?.shape else {
                throw FileFormatError(file: file, message: "no parameter '\(key)'; cannot infer the architecture (is this a ViT?)")
            }
            return s
        }
        let patch = try shape("patch_embed.proj.weight")      // [D, C, P, P]
        let pos = try shape("pos_embed")                       // [1, rows, D]
        guard patch.count == 4, patch[2] == patch[3], pos.count == 3, pos[0] == 1, pos[2] == patch[0] else {
            throw FileFormatError(file: file, message: "patch_embed.proj.weight \(patch) / pos_embed \(pos) are not the shapes of a ViT with square patches")
        }
        embedDim = patch[0]
        inChannels = patch[1]
        patchSize = patch[2]
        positionRows = pos[1]
        depth = (p.keys.compactMap { key -> Int? in
            guard key.hasPrefix("blocks.") else { return nil }
            return Int(key.dropFirst("blocks.".count).prefix { $0.isNumber })
        }.max() ?? -1) + 1
        numClasses = p["head.weight"]?.shape.first ?? 0
        distillationHead = p["head_dist.weight"] != nil
        let width = patch[0]
        mlpRatio = p["blocks.0.mlp.fc1.weight"].map { Double($0.shape[0]) / Double(width) } ?? 4
        qkvBias = p["blocks.0.attn.qkv.bias"] != nil
        classToken = p["cls_token"] != nil
        distilled = p["dist_token"] != nil
        registerTokens = p["reg_token"]?.shape[1] ?? 0
        layerScale = p["blocks.0.ls1.gamma"] != nil
        preNorm = p["norm_pre.weight"] != nil
        patchBias = p["patch_embed.proj.bias"] != nil
        fcNorm = p["fc_norm.weight"] != nil
        attentionPool = p["attn_pool.latent"] != nil
    }

    var prefixTokens: Int { (classToken ? 1 : 0) + (distilled ? 1 : 0) + registerTokens }

    /// The square patch grid side and whether pos_embed covers the prefix tokens; `noEmbedClass`
    /// from a config decides when both readings are squares.
    func grid(noEmbedClass hint: Bool?) throws -> (side: Int, noEmbedClass: Bool) {
        func side(_ n: Int) -> Int? {
            let s = Int(Double(max(n, 0)).squareRoot().rounded())
            return s > 0 && s * s == n ? s : nil
        }
        let covering = side(positionRows - prefixTokens), patchesOnly = prefixTokens > 0 ? side(positionRows) : nil
        switch (hint, covering, patchesOnly) {
        case (true?, _, let s?), (nil, nil, let s?): return (s, true)
        case (false?, let s?, _), (nil, let s?, _): return (s, false)
        default:
            throw FileFormatError(file: file, message: "pos_embed has \(positionRows) rows, which is neither a square patch grid nor \(prefixTokens) prefix token\(prefixTokens == 1 ? "" : "s") (class, distillation, registers) plus one")
        }
    }

    /// Writes everything the tensors show into `config` (they win over a config file: they are
    /// what gets loaded).
    func apply(to config: inout ViTConfig, configSaysNoEmbedClass: Bool?) throws {
        let (side, noEmbedClass) = try grid(noEmbedClass: configSaysNoEmbedClass)
        config.embedDim = embedDim
        config.depth = depth
        config.patchSize = patchSize
        config.inChannels = inChannels
        config.imageSize = side * patchSize
        config.numClasses = numClasses
        config.mlpRatio = mlpRatio
        config.qkvBias = qkvBias
        config.classToken = classToken
        config.distilled = distilled
        config.distillationHead = !distilled || numClasses == 0 || distillationHead
        config.registerTokens = registerTokens
        config.noEmbedClass = noEmbedClass
        config.preNorm = preNorm
        config.patchBias = patchBias
        config.fcNorm = fcNorm
        if attentionPool { config.globalPool = .map }
        else if config.globalPool == .map || (!classToken && config.globalPool == .token) { config.globalPool = .avg }
        if layerScale && config.layerScaleInit == nil { config.layerScaleInit = 1e-5 }   // init only; the file's gammas load
        if !layerScale { config.layerScaleInit = nil }
    }

    /// The architecture from the tensors alone (no config file). `heads` must be given; eps and
    /// the activation are the format's defaults (timm 1e-6 / HF 1e-12, erf GELU), except where a
    /// family is known to differ (CLIP's norm_pre: eps 1e-5, QuickGELU or GELU), which is refused.
    func config(heads: Int?, format: WeightFormat, overrides: ImportOverrides) throws -> ViTConfig {
        guard let heads else {
            throw FileFormatError(file: file, message: "the number of attention heads cannot be read from the tensors and there is no config.json beside the file; pass --heads N (or --config config.json)")
        }
        if preNorm && (overrides.layerNormEps == nil || overrides.activation == nil) {
            throw FileFormatError(file: file, message: "a CLIP-style ViT (norm_pre) without a config.json: its LayerNorm eps and activation (gelu or quick_gelu) cannot be read from the tensors; pass --eps and --activation (or --config config.json)")
        }
        var config = ViTConfig()
        config.numHeads = heads
        config.layerNormEps = format == .hf ? 1e-12 : 1e-6
        config.globalPool = classToken && !fcNorm ? .token : .avg
        try apply(to: &config, configSaysNoEmbedClass: nil)
        return config
    }
}
