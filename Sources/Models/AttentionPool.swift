// timm's AttentionPoolLatent (global_pool 'map', SigLIP): a learned latent query attends over the
// patch tokens with its own q / kv projections, then proj, and a residual MLP on a LayerNorm.
// Legend: B batch, N tokens pooled, D width, H heads, Dh = D / H.

/// Paths under `attn_pool.`: `latent` [1, 1, D], `q` [D, D], `kv` [2D, D], `proj` [D, D], `norm`, `mlp`.
public final class AttentionPool: Module {
    public let latent: Tensor
    public let q: Linear
    public let kv: Linear
    public let proj: Linear
    public let norm: LayerNorm
    public let mlp: Mlp
    public let heads: Int
    public var isTraining = false

    public init(config: ViTConfig, randomSource: RandomSource, rng: inout RandomGenerator) {
        let d = config.embedDim
        heads = config.numHeads
        // timm: trunc_normal_tf_(latent, std = D^-½)
        latent = Initializer.truncatedNormal([1, 1, d], std: 1 / Float(d).squareRoot(), rng: &rng)
            .parameter(named: "latent")
        q = Linear(inputDimensions: d, outputDimensions: d, bias: config.qkvBias, rng: &rng)
        kv = Linear(inputDimensions: d, outputDimensions: 2 * d, bias: config.qkvBias, rng: &rng)
        proj = Linear(inputDimensions: d, outputDimensions: d, rng: &rng)
        norm = LayerNorm(dimensions: d, eps: config.layerNormEps)
        mlp = Mlp(dimensions: d, hiddenDimensions: config.mlpHiddenDim, activation: config.activation,
                  randomSource: randomSource, rng: &rng)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("latent", latent)] }
    public var children: [(name: String, module: Module)] {
        [("q", q), ("kv", kv), ("proj", proj), ("norm", norm), ("mlp", mlp)]
    }

    /// tokens [B, N, D] → pooled [B, D].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let dh = d / heads
        let query = q(latent).reshaped([1, heads, 1, dh]).broadcast(to: [b, heads, 1, dh])    // [B, H, 1, Dh]
        let keysValues = kv(x).reshaped([b, n, 2, heads, dh]).permuted([2, 0, 3, 1, 4])        // [2, B, H, N, Dh]
        let key = keysValues.sliced(axis: 0, 0..<1).reshaped([b, heads, n, dh])
        let value = keysValues.sliced(axis: 0, 1..<2).reshaped([b, heads, n, dh])
        let (mixed, _) = Tensor.scaledDotProductAttention(query: query, key: key, value: value,
                                                          scale: 1 / Float(dh).squareRoot())
        // One latent: [B, H, 1, Dh] is already [B, 1, H, Dh] in memory, i.e. [B, D] with heads merged.
        let pooled = proj(mixed.reshaped([b, d]))
        return pooled + mlp(norm(pooled))
    }
}
