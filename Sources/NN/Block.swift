// The pre-norm transformer block of timm's ViT:
//   x = x + drop_path(attn(norm1(x)));  x = x + drop_path(mlp(norm2(x))).
// Legend: B batch, T tokens, D width.

/// One encoder block. Children in timm's order: norm1, attn, norm2, mlp.
public final class Block: Module {
    public let norm1: LayerNorm
    public let attn: Attention
    public let dropPath1: DropPath
    public let norm2: LayerNorm
    public let mlp: Mlp
    public let dropPath2: DropPath
    public var isTraining = false

    public init(dimensions: Int, heads: Int, mlpRatio: Double = 4, qkvBias: Bool = true,
                dropout: Float = 0, attentionDropout: Float = 0, dropPath: Float = 0,
                layerNormEps: Float = 1e-6, randomSource: RandomSource, rng: inout RandomGenerator) {
        norm1 = LayerNorm(dimensions: dimensions, eps: layerNormEps)
        attn = Attention(dimensions: dimensions, heads: heads, qkvBias: qkvBias, attentionDropout: attentionDropout,
                         projectionDropout: dropout, randomSource: randomSource, rng: &rng)
        dropPath1 = DropPath(probability: dropPath, randomSource: randomSource)
        norm2 = LayerNorm(dimensions: dimensions, eps: layerNormEps)
        mlp = Mlp(dimensions: dimensions, hiddenDimensions: Int(Double(dimensions) * mlpRatio),
                  dropout: dropout, randomSource: randomSource, rng: &rng)
        dropPath2 = DropPath(probability: dropPath, randomSource: randomSource)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        [("norm1", norm1), ("attn", attn), ("drop_path1", dropPath1),
         ("norm2", norm2), ("mlp", mlp), ("drop_path2", dropPath2)]
    }

    /// x [B, T, D] → ([B, T, D], this block's attention probabilities if asked).
    public func forward(_ x: Tensor, keepProbabilities: Bool = false) -> (output: Tensor, probabilities: Tensor?) {
        let (attended, probabilities) = attn.forward(norm1(x), keepProbabilities: keepProbabilities)
        let h = x + dropPath1(attended)
        return (h + dropPath2(mlp(norm2(h))), probabilities)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x).output
    }
}
