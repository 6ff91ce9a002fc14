// Dropout and DropPath (stochastic depth) modules. Both draw from the model's shared
// RandomSource, so one saved generator state reproduces every mask after a resume, and both
// are the identity unless the module is in training mode.

/// Inverted dropout (timm `nn.Dropout`), active only while training.
public final class Dropout: Module {
    public let probability: Float
    public let randomSource: RandomSource
    public var isTraining = false

    public init(probability: Float, randomSource: RandomSource) {
        self.probability = probability
        self.randomSource = randomSource
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [] }

    /// Whether a call would drop anything (training with p > 0); otherwise it is the identity.
    public var isActive: Bool { isTraining && probability > 0 }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isActive else { return x }
        return x.dropout(probability: probability, rng: &randomSource.generator)
    }
}

/// Stochastic depth per sample (timm `DropPath`), active only while training.
public final class DropPath: Module {
    public let probability: Float
    public let randomSource: RandomSource
    public var isTraining = false

    public init(probability: Float, randomSource: RandomSource) {
        self.probability = probability
        self.randomSource = randomSource
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [] }

    /// Whether a call would drop anything (training with p > 0); otherwise it is the identity.
    public var isActive: Bool { isTraining && probability > 0 }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isActive else { return x }
        return x.dropPath(probability: probability, rng: &randomSource.generator)
    }

    /// The factors a call on a batch of `samples` would apply (one per sample), drawn from the
    /// shared generator exactly as the call draws them; nil when it would be the identity. For
    /// the fused branch-plus-residual ops, which apply drop path themselves.
    public func drawSampleFactors(samples: Int) -> [Float]? {
        guard isActive else { return nil }
        return Tensor.dropPathFactors(samples: samples, probability: probability, rng: &randomSource.generator)
    }
}
