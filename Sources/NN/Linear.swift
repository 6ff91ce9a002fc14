// Linear (timm / PyTorch nn.Linear): y = x·Wᵀ + b with the weight stored [out, in], as in
// PyTorch checkpoints. The transpose is a BLAS flag, never a copy.
// Legend: x [..., in] → y [..., out].

/// A fully connected layer. Parameters: `weight` [out, in], `bias` [out] (optional).
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = false

    public var inputDimensions: Int { weight.shape[1] }
    public var outputDimensions: Int { weight.shape[0] }

    /// timm initialisation: weight trunc-normal(std .02), bias zero.
    public init(inputDimensions: Int, outputDimensions: Int, bias: Bool = true, rng: inout RandomGenerator) {
        weight = Initializer.truncatedNormal([outputDimensions, inputDimensions], rng: &rng).parameter(named: "weight")
        self.bias = bias ? Tensor.zeros([outputDimensions]).parameter(named: "bias") : nil
    }

    /// Wraps existing tensors (weight [out, in], bias [out]).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && (bias == nil || bias!.shape == [weight.shape[0]]),
                     "Linear weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        self.weight = weight.parameter(named: "weight")
        self.bias = bias?.parameter(named: "bias")
    }

    public var localParameters: [(name: String, tensor: Tensor)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    public var children: [(name: String, module: Module)] { [] }

    /// x [..., in] → [..., out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        applyToRows(x) { Tensor.linear($0, weight: weight, bias: bias) }
    }

    /// GELU(self(x)), with bias and GELU fused into one pass after the GEMM (timm's fc1 → act).
    public func forwardGELU(_ x: Tensor) -> Tensor {
        guard let bias else { return self(x).gelu() }
        return applyToRows(x) { Tensor.linearGELU($0, weight: weight, bias: bias) }
    }

    /// residual + drop_path(self(x)) for x [B, …, in] and residual [B, …, out], as one op: the
    /// Linear's output and its drop-path copy never become tensors of their own, so the tape
    /// does not keep them (ResidualBranchOp.swift). `sampleFactors` has one factor per index of
    /// axis 0 (DropPath.drawSampleFactors), or is nil for the plain sum.
    public func forward(_ x: Tensor, addingTo residual: Tensor, sampleFactors: [Float]?) -> Tensor {
        precondition(residual.shape == Array(x.shape.dropLast()) + [outputDimensions],
                     "Linear residual \(residual.shape) does not match input \(x.shape) → \(outputDimensions)")
        let join = ResidualJoin(residual: residual.reshaped([residual.count / max(outputDimensions, 1), outputDimensions]),
                                sampleFactors: sampleFactors)
        return applyToRows(x) { Tensor.linear($0, weight: weight, bias: bias, joining: join) }
    }

    /// Folds every leading axis of x [..., in] into rows, so one GEMM runs against the shared
    /// weight, and unfolds the [rows, out] result.
    private func applyToRows(_ x: Tensor, _ op: (Tensor) -> Tensor) -> Tensor {
        Linear.foldingRows(x, inputs: inputDimensions, outputs: outputDimensions, op)
    }

    /// x [..., inputs] → op(x as [rows, inputs]) [rows, outputs] → [..., outputs]. Timed as GEMM
    /// by the profiler. Shared with the fused MLP, whose GEMMs fold the same way.
    static func foldingRows(_ x: Tensor, inputs: Int, outputs: Int, _ op: (Tensor) -> Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inputs,
                     "Linear expects input [..., \(inputs)], got \(x.shape)")
        let rows = x.count / max(inputs, 1)
        let flat = x.rank == 2 ? x : x.reshaped([rows, inputs])
        let y = Profiler.measure(.gemm) { op(flat) }
        return x.rank == 2 ? y : y.reshaped(Array(x.shape.dropLast()) + [outputs])
    }
}
