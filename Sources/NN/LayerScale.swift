// timm's LayerScale (Touvron et al. 2021, CaiT): a learned per-channel scale on each residual
// branch, started at a small value (init_values, 1e-5 in DINOv2). Parameter: `gamma` [D].

/// x [.., D] → x · gamma.
public final class LayerScale: Module {
    public let gamma: Tensor
    public var isTraining = false

    public init(dimensions: Int, initialValue: Float) {
        gamma = (Tensor.ones([dimensions]) * initialValue).detached().parameter(named: "gamma")
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("gamma", gamma)] }
    public var children: [(name: String, module: Module)] { [] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x * gamma }
}
