// Freezing from a config's `freeze` section: a frozen parameter has requiresGrad false, so no op
// records a backward step into it, the tape never reaches a fully frozen prefix of the network,
// and AdamW skips it. The section becomes glob patterns for NN's Module.freeze.

import NN

public enum Freezing {
    /// The glob patterns a freeze section stands for.
    public static func patterns(_ freeze: FreezeSection) -> [String] {
        var result = freeze.patterns
        if freeze.patchEmbed { result.append("patch_embed.*") }
        if freeze.positionEmbedding { result += ["cls_token", "pos_embed"] }
        result += (0..<freeze.blocks).map { "blocks.\($0).*" }
        return result
    }

    /// Whether a freeze section freezes `path`.
    public static func isFrozen(path: String, freeze: FreezeSection) -> Bool {
        patterns(freeze).contains { globMatches($0, path) }
    }

    /// Makes exactly the section's parameters frozen (the rest trainable); returns the frozen paths.
    @discardableResult
    public static func apply(_ freeze: FreezeSection, to model: Module) -> [String] {
        model.unfreeze(["*"])
        return model.freeze(patterns(freeze))
    }
}
