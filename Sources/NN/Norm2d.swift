// Normalisation over image feature maps [B, C, H, W]: BatchNorm2d (running statistics kept as
// buffers, as PyTorch: running_mean, running_var, num_batches_tracked) and GroupNorm.

/// A layer that normalises a feature map [B, C, H, W] (BatchNorm2d or GroupNorm).
public protocol FeatureMapNorm: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// torch.nn.BatchNorm2d: batch statistics while training (updating the running ones), the
/// running statistics in evaluation. weight ones, bias zeros, running mean 0, variance 1.
public final class BatchNorm2d: FeatureMapNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor        // buffer [C]
    public let runningVar: Tensor         // buffer [C]
    public let numBatchesTracked: Tensor  // buffer [], a count (int64 in PyTorch)
    public let momentum: Float
    public let eps: Float
    public var isTraining = false

    public init(channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        weight = Tensor.ones([channels]).parameter(named: "weight")
        bias = Tensor.zeros([channels]).parameter(named: "bias")
        runningMean = Tensor.zeros([channels])
        runningVar = Tensor.ones([channels])
        numBatchesTracked = Tensor.zeros([])
        self.momentum = momentum
        self.eps = eps
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    public var localBuffers: [(name: String, tensor: Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)]
    }
    public var children: [(name: String, module: Module)] { [] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let training = isTraining
        if training { numBatchesTracked.data[0] += 1 }
        return x.batchNorm(weight: weight, bias: bias, runningMean: &runningMean.data,
                           runningVariance: &runningVar.data, momentum: momentum, eps: eps, training: training)
    }
}

/// torch.nn.GroupNorm: channels split into `groups`, each normalised over its channels and
/// the spatial axes. weight ones, bias zeros.
public final class GroupNorm: FeatureMapNorm {
    public let groups: Int
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float
    public var isTraining = false

    public init(groups: Int, channels: Int, eps: Float = 1e-5) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups
        weight = Tensor.ones([channels]).parameter(named: "weight")
        bias = Tensor.zeros([channels]).parameter(named: "bias")
        self.eps = eps
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    public var children: [(name: String, module: Module)] { [] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
