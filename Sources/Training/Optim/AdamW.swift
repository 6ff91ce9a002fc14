// AdamW with decoupled weight decay and bias correction, step for step as torch.optim.AdamW
// (Loshchilov & Hutter 2019): p ← p·(1 − lr·wd); m, v updated; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
// Frozen parameters (requiresGrad false) hold no state and are never touched.

import NN

/// One parameter's optimizer state.
public struct AdamWState {
    public var firstMoment: [Float]
    public var secondMoment: [Float]
}

public final class AdamW {
    public let parameters: [(path: String, tensor: Tensor)]
    public var settings: [ParameterSettings]
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    /// Steps taken so far (the t of bias correction).
    public private(set) var step = 0
    /// State by parameter path; created on a parameter's first update.
    public var state: [String: AdamWState] = [:]

    /// `parameters` are the trainable ones; `settings` gives each its lr scale and weight decay.
    public init(parameters: [(path: String, tensor: Tensor)], settings: [ParameterSettings],
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8) {
        precondition(parameters.count == settings.count, "one ParameterSettings per parameter")
        self.parameters = parameters
        self.settings = settings
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
    }

    /// Applies one update with base learning rate `lr` to every parameter that has a gradient.
    public func update(lr: Double) {
        Profiler.measure(.optimizer) { apply(lr: lr) }
    }

    private func apply(lr: Double) {
        step += 1
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(beta2, t)
        let (b1, b2) = (Float(beta1), Float(beta2))
        for (index, (path, p)) in parameters.enumerated() {
            guard p.requiresGrad, let g = p.grad else { continue }
            let s = settings[index]
            let groupLR = lr * s.lrScale
            let decayFactor = Float(1 - groupLR * s.weightDecay)
            let stepSize = Float(groupLR / biasCorrection1)
            let correction2Root = Float(biasCorrection2.squareRoot())
            let epsilon = Float(eps)
            var st = state[path] ?? AdamWState(firstMoment: [Float](repeating: 0, count: p.count),
                                               secondMoment: [Float](repeating: 0, count: p.count))
            st.firstMoment.withUnsafeMutableBufferPointer { m in
                st.secondMoment.withUnsafeMutableBufferPointer { v in
                    p.data.withUnsafeMutableBufferPointer { w in
                        g.withUnsafeBufferPointer { g in
                            Parallel.forRanges(w.count, costPerItem: 16) { range in
                                for i in range {
                                    w[i] *= decayFactor
                                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                    let denominator = v[i].squareRoot() / correction2Root + epsilon
                                    w[i] -= stepSize * m[i] / denominator
                                }
                            }
                        }
                    }
                }
            }
            state[path] = st
        }
    }

    /// Restores the step count (from a checkpoint).
    public func restore(step: Int, state: [String: AdamWState]) {
        self.step = step
        self.state = state
    }
}

import Foundation
