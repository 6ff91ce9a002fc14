// timm's transformer MLP: fc1 → GELU (exact erf) → dropout → fc2 → dropout.

/// The feed-forward block. Children: `fc1` [hidden, D], `fc2` [D, hidden].
public final class Mlp: Module {
    public let fc1: Linear
    public let fc2: Linear
    public let drop1: Dropout
    public let drop2: Dropout
    public var isTraining = false

    public init(dimensions: Int, hiddenDimensions: Int, dropout: Float = 0,
                randomSource: RandomSource, rng: inout RandomGenerator) {
        fc1 = Linear(inputDimensions: dimensions, outputDimensions: hiddenDimensions, rng: &rng)
        fc2 = Linear(inputDimensions: hiddenDimensions, outputDimensions: dimensions, rng: &rng)
        drop1 = Dropout(probability: dropout, randomSource: randomSource)
        drop2 = Dropout(probability: dropout, randomSource: randomSource)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        [("fc1", fc1), ("drop1", drop1), ("fc2", fc2), ("drop2", drop2)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        drop2(fc2(drop1(fc1.forwardGELU(x))))
    }
}
