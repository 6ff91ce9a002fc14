// timm's transformer MLP: fc1 → activation → dropout → fc2 → dropout. The activation is exact
// erf GELU (timm's default, fused with fc1's bias), QuickGELU (OpenAI CLIP) or tanh GELU (SigLIP).

/// The MLP activations of the ViT families (timm `act_layer`).
public enum ActivationKind: String, Codable, CaseIterable {
    case gelu                           // exact erf GELU (nn.GELU), timm's default
    case quickGELU = "quick_gelu"       // x·σ(1.702x), OpenAI CLIP
    case geluTanh = "gelu_tanh"         // nn.GELU(approximate='tanh')
}

extension Tensor {
    /// x·σ(1.702x) (Radford et al. 2021, CLIP's QuickGELU), composed from primitives.
    public func quickGELU() -> Tensor { self * (self * 1.702).sigmoid() }

    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), composed from primitives (tinygrad style).
    public func geluTanh() -> Tensor {
        let inner = (self + self * self * self * 0.044715) * Float((2 / Double.pi).squareRoot())
        return self * 0.5 * (inner.tanh() + 1)
    }
}

/// The feed-forward block. Children: `fc1` [hidden, D], `fc2` [D, hidden].
public final class Mlp: Module {
    public let fc1: Linear
    public let fc2: Linear
    public let drop1: Dropout
    public let drop2: Dropout
    public let activation: ActivationKind
    public var isTraining = false

    public init(dimensions: Int, hiddenDimensions: Int, dropout: Float = 0, activation: ActivationKind = .gelu,
                randomSource: RandomSource, rng: inout RandomGenerator) {
        fc1 = Linear(inputDimensions: dimensions, outputDimensions: hiddenDimensions, rng: &rng)
        fc2 = Linear(inputDimensions: hiddenDimensions, outputDimensions: dimensions, rng: &rng)
        drop1 = Dropout(probability: dropout, randomSource: randomSource)
        drop2 = Dropout(probability: dropout, randomSource: randomSource)
        self.activation = activation
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        [("fc1", fc1), ("drop1", drop1), ("fc2", fc2), ("drop2", drop2)]
    }

    /// Whether fc1 → GELU → fc2 runs as one op (MlpOp.swift): exact GELU, drop1 the identity, both
    /// layers with a bias. Otherwise the layers run one by one (the reference composition).
    public var fusesLayers: Bool { activation == .gelu && !drop1.isActive && fc1.bias != nil && fc2.bias != nil }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if fusesLayers { return drop2(foldingRows(x) { fused($0, joining: nil) }) }
        return referenceForward(x)
    }

    /// Whether `forward(_:addingTo:sampleFactors:)` applies: the layers fuse and drop2 is the identity.
    public var joinsResidual: Bool { fusesLayers && !drop2.isActive }

    /// residual + drop_path(self(x)) as one op, the block's `x + drop_path(mlp(norm2(x)))`, when
    /// `joinsResidual` (the caller composes it otherwise). `sampleFactors`: one drop-path factor
    /// per index of axis 0, or nil for the plain sum.
    public func forward(_ x: Tensor, addingTo residual: Tensor, sampleFactors: [Float]?) -> Tensor {
        precondition(joinsResidual, "Mlp.forward(_:addingTo:) needs exact GELU, biases and inactive dropout")
        precondition(residual.shape == Array(x.shape.dropLast()) + [fc2.outputDimensions],
                     "Mlp residual \(residual.shape) does not match input \(x.shape) → \(fc2.outputDimensions)")
        let rows = x.count / max(fc1.inputDimensions, 1)
        let join = ResidualJoin(residual: residual.reshaped([rows, fc2.outputDimensions]), sampleFactors: sampleFactors)
        return foldingRows(x) { fused($0, joining: join) }
    }

    private func foldingRows(_ x: Tensor, _ op: (Tensor) -> Tensor) -> Tensor {
        Linear.foldingRows(x, inputs: fc1.inputDimensions, outputs: fc2.outputDimensions, op)
    }

    /// rows [R, in] → [R, out] through the fused op.
    private func fused(_ rows: Tensor, joining join: ResidualJoin?) -> Tensor {
        Tensor.mlpGELU(rows, fc1Weight: fc1.weight, fc1Bias: fc1.bias!, fc2Weight: fc2.weight, fc2Bias: fc2.bias,
                       joining: join)
    }

    /// fc1 → activation → drop1 → fc2 → drop2, layer by layer: the path for QuickGELU, tanh GELU
    /// and active drop1, and the reference the fused op is tested against.
    public func referenceForward(_ x: Tensor) -> Tensor {
        let hidden: Tensor
        switch activation {
        case .gelu: hidden = fc1.forwardGELU(x)
        case .quickGELU: hidden = fc1(x).quickGELU()
        case .geluTanh: hidden = fc1(x).geluTanh()
        }
        return drop2(fc2(drop1(hidden)))
    }
}
