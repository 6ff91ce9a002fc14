// Parameter initialisers matching timm / PyTorch defaults, all drawn from a seeded generator.
// timm's ViT: Linear weights trunc-normal(.02) with zero bias; convolutions keep PyTorch's
// nn.Conv2d default (kaiming-uniform a=√5: weight and bias both U(−1/√fan_in, 1/√fan_in)).

extension Tensor {
    /// A trainable parameter: a leaf that requires grad, labelled with its local name.
    public func parameter(named name: String? = nil) -> Tensor {
        requiresGrad = true
        self.name = name
        return self
    }
}

public enum Initializer {
    /// timm `trunc_normal_(std:)` (see `Tensor.truncatedNormal` for the cut-off).
    public static func truncatedNormal(_ shape: [Int], std: Float = 0.02, rng: inout RandomGenerator) -> Tensor {
        Tensor.truncatedNormal(shape, std: std, rng: &rng)
    }

    /// PyTorch's default for nn.Conv2d / nn.Linear weights: kaiming_uniform(a=√5), which is
    /// U(−b, b) with b = gain·√(3/fan_in), gain = √(2/(1+5)), i.e. b = 1/√fan_in.
    public static func kaimingUniformDefault(_ shape: [Int], fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }

    /// PyTorch's default bias: U(−1/√fan_in, 1/√fan_in).
    public static func defaultBias(_ count: Int, fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        kaimingUniformDefault([count], fanIn: fanIn, rng: &rng)
    }
}
