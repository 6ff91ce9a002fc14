// Freezing from a config's `freeze` section: a frozen parameter has requiresGrad false, so no op
// records a backward step into it, the tape never reaches a fully frozen prefix of the network,
// and AdamW skips it. The section becomes glob patterns for NN's Module.freeze.

import Models

public enum Freezing {
    /// The glob patterns a freeze section stands for; the presets come from the model's policy
    /// (position embedding = pos_embed and every prefix token it has).
    public static func patterns(_ freeze: FreezeSection, policy: ParameterPolicy) -> [String] {
        var result = freeze.patterns
        if freeze.patchEmbed { result.append(policy.patchEmbeddingPattern) }
        if freeze.positionEmbedding { result += policy.positionEmbeddingPaths }
        result += (0..<freeze.blocks).map { policy.blockPattern($0) }
        return result
    }

    /// Whether a freeze section freezes `path`.
    public static func isFrozen(path: String, freeze: FreezeSection, policy: ParameterPolicy) -> Bool {
        patterns(freeze, policy: policy).contains { globMatches($0, path) }
    }

    /// Makes exactly the section's parameters frozen (the rest trainable); returns the frozen paths.
    @discardableResult
    public static func apply(_ freeze: FreezeSection, to model: VisionTransformer) -> [String] {
        model.unfreeze(["*"])
        return model.freeze(patterns(freeze, policy: model))
    }
}
