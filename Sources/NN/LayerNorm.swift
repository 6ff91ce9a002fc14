// LayerNorm over the last axis with a learned affine (timm uses eps 1e-6 in ViTs).

/// Layer normalisation over the last axis. Parameters: `weight` (ones), `bias` (zeros), [D].
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float
    public var isTraining = false

    public init(dimensions: Int, eps: Float = 1e-6) {
        weight = Tensor.ones([dimensions]).parameter(named: "weight")
        bias = Tensor.zeros([dimensions]).parameter(named: "bias")
        self.eps = eps
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    public var children: [(name: String, module: Module)] { [] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Profiler.measure(.norm) { x.layerNorm(weight: weight, bias: bias, eps: eps) }
    }
}
