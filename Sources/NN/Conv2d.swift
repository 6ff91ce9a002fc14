// 2-D convolution module (NCHW, weight [O, C, kH, kW], PyTorch's default init). When the kernel
// equals the stride and there is no padding (ViT patch embedding, 1×1 projections) the conv is
// exactly a matmul over non-overlapping patches, done here as reshape/permute + one GEMM.
// Legend: B batch, C in channels, O out channels, H×W input, Ho×Wo output.

/// A 2-D convolution. Parameters: `weight` [O, C, k, k], `bias` [O] (optional).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    public var isTraining = false

    public var inChannels: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }

    /// nn.Conv2d's default initialisation (kaiming-uniform a=√5, bias U(±1/√fan_in)).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, rng: inout RandomGenerator) {
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Initializer.kaimingUniformDefault([outChannels, inChannels, kernelSize, kernelSize],
                                                   fanIn: fanIn, rng: &rng).parameter(named: "weight")
        self.bias = bias ? Initializer.defaultBias(outChannels, fanIn: fanIn, rng: &rng).parameter(named: "bias") : nil
        self.stride = stride
        self.padding = padding
    }

    public var localParameters: [(name: String, tensor: Tensor)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    public var children: [(name: String, module: Module)] { [] }

    /// Whether the conv tiles its input with non-overlapping patches (kernel == stride, no padding).
    public var isPatchwise: Bool { kernelSize == stride && padding == 0 }

    /// Output spatial size for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernelSize) / stride + 1, (width + 2 * padding - kernelSize) / stride + 1)
    }

    /// Patchwise conv returning tokens: x [B, C, H, W] → [B, Ho·Wo, O], row-major over the grid
    /// (what a ViT wants, skipping the NCHW round trip). Needs `isPatchwise`.
    public func patchTokens(_ x: Tensor) -> Tensor {
        precondition(isPatchwise, "patchTokens needs kernel == stride and no padding, got kernel \(kernelSize), stride \(stride), padding \(padding)")
        precondition(x.rank == 4 && x.shape[1] == inChannels,
                     "Conv2d expects input [B, \(inChannels), H, W], got \(x.shape)")
        let (b, c, k) = (x.shape[0], inChannels, kernelSize)
        let (ho, wo) = outputSize(height: x.shape[2], width: x.shape[3])
        var input = x
        // As PyTorch, rows and columns that do not fill a whole patch are dropped.
        if x.shape[2] != ho * k { input = input.sliced(axis: 2, 0..<(ho * k)) }
        if x.shape[3] != wo * k { input = input.sliced(axis: 3, 0..<(wo * k)) }
        let patches: Tensor
        if k == 1 {
            patches = input.permuted([0, 2, 3, 1]).reshaped([b * ho * wo, c])         // [B·Ho·Wo, C]
        } else {
            patches = input.reshaped([b, c, ho, k, wo, k])
                .permuted([0, 2, 4, 1, 3, 5])                                         // [B, Ho, Wo, C, k, k]
                .reshaped([b * ho * wo, c * k * k])
        }
        var y = Profiler.measure(.gemm) {
            patches.matmul(weight.reshaped([outChannels, c * k * k]), transposeOther: true)   // [B·Ho·Wo, O]
        }
        if let bias { y = y + bias }
        return y.reshaped([b, ho * wo, outChannels])
    }

    /// x [B, C, H, W] → [B, O, Ho, Wo].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if isPatchwise {
            let (ho, wo) = outputSize(height: x.shape[2], width: x.shape[3])
            return patchTokens(x).reshaped([x.shape[0], ho, wo, outChannels]).permuted([0, 3, 1, 2])
        }
        return x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
