// Analytic FLOP counts of a ViT (2 FLOPs per multiply-add, GEMMs and attention products only,
// as fvcore and timm's profilers count), for the GFLOP/s figure of `vittrain bench`.

import Models

public enum ModelFLOPs {
    /// Forward FLOPs for one image. Norms, softmax and GELU are left out (a few percent).
    /// `lastBlockTokens`: the tokens the last block carries past its attention (proj and MLP), when
    /// fewer than all (VisionTransformer.lastBlockCarriedTokens).
    public static func forward(_ c: ViTConfig, tokens: Int, lastBlockTokens: Int? = nil) -> Double {
        let d = Double(c.embedDim), n = Double(tokens), hidden = (d * c.mlpRatio).rounded()
        let patches = Double(c.gridSide * c.gridSide)
        var patchEmbed = patches * Double(c.inChannels * c.patchSize * c.patchSize) * d
        if let cct = c.convTokenizer {
            // Each conv stage at its own resolution (before its pool): out pixels · k² · in · out.
            patchEmbed = 0
            var side = c.imageSize, channels = c.inChannels
            for layer in 0..<cct.layers {
                side = (side + 2 * cct.padding - cct.kernel) / cct.stride + 1
                let out = layer == cct.layers - 1 ? c.embedDim : cct.channels
                patchEmbed += Double(side * side * cct.kernel * cct.kernel * channels * out)
                channels = out
                if cct.pool { side = (side - 1) / 2 + 1 }
            }
        }
        func block(carrying carried: Double) -> Double {
            n * d * 3 * d                 // qkv
            + 2 * n * n * d               // q·kᵀ and P·V over all heads
            + carried * d * d             // proj
            + 2 * carried * d * hidden    // fc1, fc2
        }
        let last = lastBlockTokens.map { Double(min($0, tokens)) } ?? n
        let blocks = c.depth > 0 ? Double(c.depth - 1) * block(carrying: n) + block(carrying: last) : 0
        let head = d * Double(c.numClasses)
        return 2 * (patchEmbed + blocks + head)
    }

    /// Training FLOPs for one image: forward plus a backward of about twice the forward.
    public static func training(_ c: ViTConfig, tokens: Int, lastBlockTokens: Int? = nil) -> Double {
        3 * forward(c, tokens: tokens, lastBlockTokens: lastBlockTokens)
    }
}
