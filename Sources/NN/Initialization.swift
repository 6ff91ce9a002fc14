// Parameter initialisers matching timm / PyTorch defaults, all drawn from a seeded generator.
// timm's ViT: Linear weights trunc_normal_(std=.02) (absolute bounds ±2) with zero bias; convolutions keep PyTorch's
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
    /// timm `trunc_normal_(tensor, std=std)`: normal(0, std) restricted to [low, high]. timm's
    /// bounds are absolute (a = −2, b = 2), so for std .02 they sit at ±100σ and the samples are
    /// plain normal(0, .02) — std .02, unlike a cut at ±2σ (std 0.88·.02).
    public static func truncatedNormal(_ shape: [Int], std: Float = 0.02, low: Float = -2, high: Float = 2,
                                       rng: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var v: Float
            repeat { v = rng.nextNormal() * std } while v < low || v > high
            values[i] = v
        }
        return Tensor(shape: shape, data: values)
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
