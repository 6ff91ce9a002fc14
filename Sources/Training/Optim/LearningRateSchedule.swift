// The per-step learning rate: linear warmup from 0, then cosine decay to `min_lr` (or constant),
// as timm's CosineLRScheduler with t_in_epochs=False.

import Foundation

public struct LearningRateSchedule {
    public var baseLR: Double
    public var minLR: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var cosine: Bool

    public init(baseLR: Double, minLR: Double, warmupSteps: Int, totalSteps: Int, cosine: Bool) {
        self.baseLR = baseLR
        self.minLR = min(minLR, baseLR)
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.cosine = cosine
    }

    /// The learning rate for optimizer step `step` (0-based).
    public func lr(at step: Int) -> Double {
        if step < warmupSteps {
            return baseLR * Double(step + 1) / Double(warmupSteps)
        }
        guard cosine else { return baseLR }
        let decaySteps = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(decaySteps))
        return minLR + 0.5 * (baseLR - minLR) * (1 + cos(Double.pi * progress))
    }
}
