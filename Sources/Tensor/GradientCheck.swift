// Finite-difference gradient checking, as torch.autograd.gradcheck, for Float32 ops.
// The check contracts the op's output with a fixed random tensor R, so one scalar
// L = Σ out·R probes every output element; L is accumulated in Double so that the only
// Float32 rounding left is the op's own, which keeps central differences sharp.

public struct GradientCheckResult: CustomStringConvertible {
    /// Largest |analytic − numeric| / max(1, |analytic|, |numeric|) over all checked elements.
    public var maxError: Double
    /// Where it occurred: input index and element index.
    public var worstInput: Int
    public var worstElement: Int
    public var analytic: Double
    public var numeric: Double

    public var description: String {
        "max error \(maxError) at input \(worstInput) element \(worstElement) (analytic \(analytic), numeric \(numeric))"
    }
}

public enum GradientCheck {
    /// Compares the tape's gradients of `function` with central differences.
    ///
    /// - Parameters:
    ///   - inputs: the tensors to differentiate with respect to (their `requiresGrad` is set).
    ///   - epsilon: the finite-difference step.
    ///   - maxElements: at most this many elements per input are probed (spread evenly).
    public static func run(_ inputs: [Tensor], epsilon: Float = 1e-2, maxElements: Int = 64,
                           seed: UInt64 = 7, _ function: ([Tensor]) -> Tensor) -> GradientCheckResult {
        for x in inputs {
            x.requiresGrad = true
            x.zeroGrad()
        }
        let probeOutput = Tensor.withoutGrad { function(inputs) }
        var rng = RandomGenerator(seed: seed)
        let projection = (0..<probeOutput.count).map { _ in rng.nextNormal() }

        let output = function(inputs)
        output.backward(gradient: projection)

        func loss() -> Double {
            let out = Tensor.withoutGrad { function(inputs) }
            var total: Double = 0
            for i in 0..<out.count { total += Double(out.data[i]) * Double(projection[i]) }
            return total
        }

        var result = GradientCheckResult(maxError: 0, worstInput: -1, worstElement: -1, analytic: 0, numeric: 0)
        for (inputIndex, x) in inputs.enumerated() {
            let analyticGrad = x.grad ?? [Float](repeating: 0, count: x.count)
            let step = max(1, x.count / maxElements)
            for element in stride(from: 0, to: x.count, by: step) {
                let original = x.data[element]
                x.data[element] = original + epsilon
                let plus = loss()
                x.data[element] = original - epsilon
                let minus = loss()
                x.data[element] = original
                // The actual step taken in Float32, not the nominal one.
                let h = Double(original + epsilon) - Double(original - epsilon)
                let numeric = (plus - minus) / h
                let analytic = Double(analyticGrad[element])
                let error = abs(analytic - numeric) / max(1, abs(analytic), abs(numeric))
                if error > result.maxError || result.worstInput < 0 {
                    result = GradientCheckResult(maxError: error, worstInput: inputIndex, worstElement: element,
                                                 analytic: analytic, numeric: numeric)
                }
            }
        }
        return result
    }
}
