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

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let hidden: Tensor
        switch activation {
        case .gelu: hidden = fc1.forwardGELU(x)
        case .quickGELU: hidden = fc1(x).quickGELU()
        case .geluTanh: hidden = fc1(x).geluTanh()
        }
        return drop2(fc2(drop1(hidden)))
    }
}
