// Freezing: a frozen parameter has requiresGrad false, so no op records a backward step into
// it, the tape never reaches a fully frozen prefix of the network, and AdamW skips it.

import NN

public enum Freezing {
    /// Paths frozen by a freeze section (patch embedding, cls/pos embeddings, first N blocks, patterns).
    public static func isFrozen(path: String, freeze: FreezeSection) -> Bool {
        if freeze.patchEmbed && path.hasPrefix("patch_embed.") { return true }
        if freeze.positionEmbedding && (path == "cls_token" || path == "pos_embed") { return true }
        if freeze.blocks > 0, path.hasPrefix("blocks."),
           let i = Int(path.dropFirst("blocks.".count).prefix { $0.isNumber }), i < freeze.blocks {
            return true
        }
        return Glob.matchesAny(freeze.patterns, path)
    }

    /// Sets requiresGrad on every parameter of `model` from `freeze`; returns the frozen paths.
    @discardableResult
    public static func apply(_ freeze: FreezeSection, to model: Module) -> [String] {
        var frozen: [String] = []
        for (path, p) in model.namedParameters() {
            let isFrozen = isFrozen(path: path, freeze: freeze)
            p.requiresGrad = !isFrozen
            if isFrozen {
                p.zeroGrad()
                frozen.append(path)
            }
        }
        return frozen
    }
}
