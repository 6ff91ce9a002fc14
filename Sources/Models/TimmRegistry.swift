// timm's architecture names (`vit_small_patch14_reg4_dinov2`, `deit_tiny_distilled_patch16_224`,
// …) mapped to configs. The table itself is generated from timm's entry points by
// Scripts/generators/timm_registry.py (TimmRegistry.generated.swift), so it says what timm says.

public enum TimmRegistry {
    /// The config timm builds for `name` (a pretrained tag such as ".augreg_in21k" is ignored).
    public static func config(named name: String) -> ViTConfig? {
        let base = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        return entries.first { $0.name == base }?.config
    }

    /// Every registered name, sorted.
    public static var names: [String] { entries.map(\.name) }
}

extension TimmRegistry {
    /// A registered name of `config`'s family (same distillation, prefix tokens, position
    /// embedding, pooling, norms, layer scale and activation), the closest in width; timm's
    /// `create_model(name, **model_args)` then sets every size. LayerNorm eps is part of a timm
    /// family (model_args cannot set it): with `matchingEps` false it is ignored. nil if no
    /// registered family fits.
    public static func closestName(to config: ViTConfig, matchingEps: Bool = true) -> String? {
        let family = entries.filter { _, c in
            c.distilled == config.distilled && c.classToken == config.classToken
                && (c.registerTokens > 0) == (config.registerTokens > 0) && c.noEmbedClass == config.noEmbedClass
                && c.globalPool == config.globalPool && c.usesFCNorm == config.usesFCNorm && c.preNorm == config.preNorm
                && (c.layerScaleInit != nil) == (config.layerScaleInit != nil) && c.activation == config.activation
                && (!matchingEps || c.layerNormEps == config.layerNormEps)
        }
        return family.min { abs($0.config.embedDim - config.embedDim) < abs($1.config.embedDim - config.embedDim) }?.name
    }
}
