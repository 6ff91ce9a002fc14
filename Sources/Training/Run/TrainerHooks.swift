// What the trainer tells its hooks. Logging, checkpointing and attention snapshots are hooks, and
// a Swift user can add their own; every method has an empty default.

/// Figures for one optimizer step.
public struct StepMetrics {
    public var epoch: Int
    public var step: Int
    public var batchInEpoch: Int
    public var batchesPerEpoch: Int
    public var loss: Double
    public var accuracy: Double
    public var lr: Double
    public var imagesPerSecond: Double
}

/// Figures for one evaluation pass.
public struct EvalMetrics: Codable {
    public var loss: Double
    public var accuracy: Double
    public var count: Int
    /// confusion[true][predicted]
    public var confusion: [[Int]]
}

/// Figures for a finished epoch.
public struct EpochMetrics {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var lr: Double
    public var imagesPerSecond: Double
    public var seconds: Double
    /// Time the loop spent waiting for the loader's next batch.
    public var dataWaitSeconds: Double
    public var eval: EvalMetrics?
    /// The model EMA's validation figures, when model EMA is on.
    public var emaEval: EvalMetrics? = nil
    /// Seconds since the run began (all sessions, training and evaluation): time to accuracy.
    public var wallTime: Double = 0
}

public protocol TrainerHook: AnyObject {
    func stepEnded(_ trainer: Trainer, _ metrics: StepMetrics) throws
    func evalEnded(_ trainer: Trainer, epoch: Int, _ metrics: EvalMetrics) throws
    func epochEnded(_ trainer: Trainer, _ metrics: EpochMetrics) throws
    /// The run ends (finished, interrupted or stopped by an error that left state consistent).
    func runEnded(_ trainer: Trainer, reason: RunEnd) throws
}

extension TrainerHook {
    public func stepEnded(_ trainer: Trainer, _ metrics: StepMetrics) throws {}
    public func evalEnded(_ trainer: Trainer, epoch: Int, _ metrics: EvalMetrics) throws {}
    public func epochEnded(_ trainer: Trainer, _ metrics: EpochMetrics) throws {}
    public func runEnded(_ trainer: Trainer, reason: RunEnd) throws {}
}

public enum RunEnd: Equatable {
    case finished
    /// A signal asked to stop; a checkpoint holds the position inside the epoch.
    case interrupted
    /// `stopAfterEpoch` was reached; the epoch's checkpoint is the resume point.
    case paused
}
