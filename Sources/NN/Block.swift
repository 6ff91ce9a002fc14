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
    /// Without layer scale and with the dropouts after proj and fc2 inactive, each branch ends
    /// in one op that also adds the residual and applies drop path (Linear.forward(_:addingTo:…),
    /// Mlp.forward(_:addingTo:…)), so the tape keeps none of the branch outputs and their
    /// drop-path copies, and the MLP keeps no hidden activation; drop-path factors are drawn at
    /// the same point as in the composed form, so the generator sequence is the same.
    ///
    /// `leadingTokens` n: only tokens 0..<n come out, [B, n, D] (a model's last block when it pools
    /// its prefix tokens). Every token still feeds the attention's keys and values, but proj,
    /// norm2 and the MLP run on those n rows alone, which is where a block spends three quarters
    /// of its multiply-adds. Needs `carriesTokensIndependently` (the dropouts after the attention
    /// draw one number per element, so fewer rows would shift the generator).
    public func forward(_ x: Tensor, keepProbabilities: Bool = false,
                        leadingTokens: Int? = nil) -> (output: Tensor, probabilities: Tensor?) {
        var (mixed, probabilities) = attn.mixTokens(norm1(x), keepProbabilities: keepProbabilities)
        var x = x
        if let n = leadingTokens, n < x.shape[1] {
            precondition(n > 0 && carriesTokensIndependently,
                         "Block.forward(leadingTokens: \(n)) needs n > 0 and no active dropout after the attention")
            mixed = mixed.sliced(axis: 1, 0..<n)
            x = x.sliced(axis: 1, 0..<n)
        }
        let h: Tensor
        if ls1 == nil && !attn.projDrop.isActive {
            h = attn.proj.forward(mixed, addingTo: x, sampleFactors: dropPath1.drawSampleFactors(samples: x.shape[0]))
        } else {
            let attended = attn.projDrop(attn.proj(mixed))
            h = x + dropPath1(ls1.map { $0(attended) } ?? attended)
        }
        let normed = norm2(h)
        if ls2 == nil && mlp.joinsResidual {
            let output = mlp.forward(normed, addingTo: h, sampleFactors: dropPath2.drawSampleFactors(samples: h.shape[0]))
            return (output, probabilities)
        }
        let fed = mlp(normed)
        return (h + dropPath2(ls2.map { $0(fed) } ?? fed), probabilities)
    }

    /// Whether each token's path after the attention is its own: no dropout after the attention
    /// draws from the generator, so a forward over fewer tokens (`leadingTokens`) gives those
    /// tokens the same values and leaves the generator where the full forward would.
    public var carriesTokensIndependently: Bool {
        !attn.projDrop.isActive && !mlp.drop1.isActive && !mlp.drop2.isActive
    }

    /// The block op by op (attention, then `x + drop_path(ls(·))` as separate tensors): the
    /// reference the fused forward is tested against, drawing from the generator in the same order.
    public func referenceForward(_ x: Tensor) -> Tensor {
        let attended = attn(norm1(x))
        let h = x + dropPath1(ls1.map { $0(attended) } ?? attended)
        let fed = mlp.referenceForward(norm2(h))
        return h + dropPath2(ls2.map { $0(fed) } ?? fed)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x).output
    }
}
