// timm's ViT self-attention: qkv Linear [3D, D] → fused multi-head attention (scale Dh^-½,
// attention dropout) → proj Linear [D, D] → proj dropout. Legend: B batch, T tokens, D width.

/// Multi-head self-attention. Children: `qkv`, `proj` (paths `attn.qkv.weight`, …).
public final class Attention: Module {
    public let heads: Int
    public let scale: Float
    public let qkv: Linear
    public let proj: Linear
    public let attentionDropout: Float
    public let projDrop: Dropout
    public let randomSource: RandomSource
    public var isTraining = false
    /// When set, each backward pass through this layer stores ∂L/∂P here (class-specific relevance).
    public var probabilityGradientSink: AttentionProbabilityGradient?

    public init(dimensions: Int, heads: Int, qkvBias: Bool = true, attentionDropout: Float = 0,
                projectionDropout: Float = 0, randomSource: RandomSource, rng: inout RandomGenerator) {
        precondition(heads > 0 && dimensions % heads == 0,
                     "attention width \(dimensions) is not divisible by \(heads) heads")
        self.heads = heads
        scale = 1 / Float(dimensions / heads).squareRoot()
        qkv = Linear(inputDimensions: dimensions, outputDimensions: 3 * dimensions, bias: qkvBias, rng: &rng)
        proj = Linear(inputDimensions: dimensions, outputDimensions: dimensions, rng: &rng)
        self.attentionDropout = attentionDropout
        projDrop = Dropout(probability: projectionDropout, randomSource: randomSource)
        self.randomSource = randomSource
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        [("qkv", qkv), ("proj", proj), ("proj_drop", projDrop)]
    }

    /// x [B, T, D] → ([B, T, D], softmax probabilities [B, H, T, T] off the tape if asked).
    public func forward(_ x: Tensor, keepProbabilities: Bool = false) -> (output: Tensor, probabilities: Tensor?) {
        let (mixed, probabilities) = mixTokens(x, keepProbabilities: keepProbabilities)
        return (projDrop(proj(mixed)), probabilities)
    }

    /// The attention before its output projection: qkv, then the fused multi-head attention,
    /// x [B, T, D] → heads merged [B, T, D]. A block that joins `proj` to its residual stream in
    /// one op (Linear.forward(_:addingTo:sampleFactors:)) starts from here.
    public func mixTokens(_ x: Tensor, keepProbabilities: Bool = false) -> (mixed: Tensor, probabilities: Tensor?) {
        let packed = qkv(x)
        let (mixed, probabilities) = Profiler.measure(.attention) {
            Tensor.multiHeadAttention(
                qkv: packed, heads: heads, scale: scale, dropout: isTraining ? attentionDropout : 0,
                rng: &randomSource.generator, keepProbabilities: keepProbabilities,
                probabilityGradient: probabilityGradientSink)
        }
        return (mixed, probabilities)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x).output
    }
}
