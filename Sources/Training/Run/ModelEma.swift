// Model EMA with timm's ModelEmaV3 semantics: a shadow copy of every parameter and buffer,
// updated after each optimizer step as ema ← lerp(ema, model, 1 − decay). With a step, decay is 0
// up to update_after_step + 1 (the shadow copies the model), then `decay`, or with use_warmup
// 1 − (1 + s/γ)^−power clipped to [min_decay, decay] for s = step − update_after_step − 1.

import Foundation
import Models

/// timm's ModelEmaV3 settings (train.model_ema_* in the config).
public struct ModelEmaSettings: Equatable {
    public var decay: Double
    public var minDecay = 0.0
    public var updateAfterStep = 0
    public var useWarmup = false
    public var warmupGamma = 1.0
    public var warmupPower = 2.0 / 3

    public init(decay: Double, useWarmup: Bool = false) {
        self.decay = decay
        self.useWarmup = useWarmup
    }

    /// ModelEmaV3.get_decay(step).
    public func decay(at step: Int?) -> Double {
        guard let step else { return decay }
        let s = max(0, step - updateAfterStep - 1)
        guard s > 0 else { return 0 }
        guard useWarmup else { return decay }
        let warm = 1 - pow(1 + Double(s) / warmupGamma, -warmupPower)
        return max(min(warm, decay), minDecay)
    }
}

public final class ModelEma {
    public let settings: ModelEmaSettings
    /// The shadow tensors (a model's state entries, or any tensors the caller averages).
    public let entries: [(path: String, tensor: Tensor)]

    /// Starts the shadow as a copy of `source`'s values.
    public init(settings: ModelEmaSettings, shadow: [(path: String, tensor: Tensor)],
                copyingFrom source: [(path: String, tensor: Tensor)]) {
        precondition(shadow.map(\.path) == source.map(\.path), "EMA shadow and model list different state entries")
        self.settings = settings
        self.entries = shadow
        for (e, m) in zip(shadow, source) { e.tensor.data = m.tensor.data }
    }

    /// ModelEmaV3.update(model, step): torch's lerp, which for weight ≥ ½ computes from the end
    /// (end − (end − self)·(1 − w)) so w = 1 copies exactly.
    public func update(from model: [(path: String, tensor: Tensor)], step: Int?) {
        let weight = Float(1 - settings.decay(at: step))
        let small = abs(weight) < 0.5
        for (e, m) in zip(entries, model) {
            let source = m.tensor.data
            e.tensor.data.withUnsafeMutableBufferPointer { ema in
                source.withUnsafeBufferPointer { value in
                    for i in 0..<ema.count {
                        let diff = value[i] - ema[i]
                        ema[i] = small ? ema[i] + weight * diff : value[i] - diff * (1 - weight)
                    }
                }
            }
        }
    }
}

extension ModelEma {
    /// An EMA of `model`: a second model of the same config whose state starts as a copy.
    public static func shadowing(_ model: VisionTransformer, settings: ModelEmaSettings) throws -> (ModelEma, VisionTransformer) {
        let shadow = try VisionTransformer.make(config: model.config, seed: 0)
        shadow.setTraining(false)
        for (_, t) in shadow.namedParameters() { t.requiresGrad = false }
        return (ModelEma(settings: settings, shadow: shadow.stateEntries(), copyingFrom: model.stateEntries()), shadow)
    }
}
