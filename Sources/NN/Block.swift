// The pre-norm transformer block of timm's ViT:
//   x = x + drop_path(ls1(attn(norm1(x))));  x = x + drop_path(ls2(mlp(norm2(x)))),
// where ls1/ls2 are LayerScale when the family has it (DINOv2, DeiT III) and identity otherwise.
// Legend: B batch, T tokens, D width.

/// One encoder block. Children in timm's order: norm1, attn, ls1, norm2, mlp, ls2.
public final class Block: Module {
    public let norm1: LayerNorm
    public let attn: Attention
    public let ls1: LayerScale?
    public let dropPath1: DropPath
    public let norm2: LayerNorm
    public let mlp: Mlp
    public let ls2: LayerScale?
    public let dropPath2: DropPath
    public var isTraining = false

    public init(dimensions: Int, heads: Int, mlpRatio: Double = 4, qkvBias: Bool = true,
                dropout: Float = 0, attentionDropout: Float = 0, dropPath: Float = 0,
                layerNormEps: Float = 1e-6, layerScaleInit: Float? = nil, activation: ActivationKind = .gelu,
                randomSource: RandomSource, rng: inout RandomGenerator) {
        norm1 = LayerNorm(dimensions: dimensions, eps: layerNormEps)
        attn = Attention(dimensions: dimensions, heads: heads, qkvBias: qkvBias, attentionDropout: attentionDropout,
                         projectionDropout: dropout, randomSource: randomSource, rng: &rng)
        ls1 = layerScaleInit.map { LayerScale(dimensions: dimensions, initialValue: $0) }
        dropPath1 = DropPath(probability: dropPath, randomSource: randomSource)
        norm2 = LayerNorm(dimensions: dimensions, eps: layerNormEps)
        mlp = Mlp(dimensions: dimensions, hiddenDimensions: Int(Double(dimensions) * mlpRatio),
                  dropout: dropout, activation: activation, randomSource: randomSource, rng: &rng)
        ls2 = layerScaleInit.map { LayerScale(dimensions: dimensions, initialValue: $0) }
        dropPath2 = DropPath(probability: dropPath, randomSource: randomSource)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = [("norm1", norm1), ("attn", attn)]
        if let ls1 { result.append(("ls1", ls1)) }
        result += [("drop_path1", dropPath1), ("norm2", norm2), ("mlp", mlp)]
        if let ls2 { result.append(("ls2", ls2)) }
        result.append(("drop_path2", dropPath2))
        return result
    }

    /// x [B, T, D] → ([B, T, D], this block's attention probabilities if asked).
    public func forward(_ x: Tensor, keepProbabilities: Bool = false) -> (output: Tensor, probabilities: Tensor?) {
        let (attended, probabilities) = attn.forward(norm1(x), keepProbabilities: keepProbabilities)
        let h = x + dropPath1(ls1.map { $0(attended) } ?? attended)
        let fed = mlp(norm2(h))
        return (h + dropPath2(ls2.map { $0(fed) } ?? fed), probabilities)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x).output
    }
}
