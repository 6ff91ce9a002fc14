// The training loop: epochs of forward, cross-entropy, backward, clipping, AdamW; validation;
// hooks at step, eval and epoch end. Stateless between calls except for what a checkpoint holds,
// so a resumed run continues bit for bit.

import Data
import Foundation
import Models

public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(step: Int, what: String)

    public var description: String {
        switch self {
        case .nonFinite(let step, let what):
            return "training stopped at step \(step): NaN or infinity in \(what); the last good checkpoint is kept (lower optim.lr, set train.grad_clip, or set train.on_non_finite to \"skip\")"
        }
    }
}

public final class Trainer {
    public let setup: RunSetup
    public var config: RunConfig { setup.config }
    public var model: VisionTransformer { setup.model }
    public let optimizer: AdamW
    public let schedule: LearningRateSchedule
    public var hooks: [TrainerHook] = []
    /// Where progress lines go (stderr by default).
    public var log: (String) -> Void

    /// Completed epochs, optimizer steps taken, and the next batch of the current epoch.
    public private(set) var epoch = 0
    public private(set) var step = 0
    public private(set) var batchInEpoch = 0
    public var metricsHistory: [String] = []
    public var bestAccuracy: Double?
    /// Set from a signal handler: the loop finishes the current step and ends as `.interrupted`.
    public var stopRequested = false
    /// Ends the run after this epoch without changing the schedule (`--stop-after-epoch`), so a
    /// long run can be split into sessions that resume into the same result.
    public var stopAfterEpoch: Int?
    public var totalSteps: Int { schedule.totalSteps }

    public init(setup: RunSetup, resumeFrom checkpoint: Checkpoint? = nil,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        self.setup = setup
        self.log = log
        let trainable = setup.model.trainableParameters()
        optimizer = AdamW(parameters: trainable,
                          settings: ParameterGroups.settings(for: trainable, optim: setup.config.optim, policy: setup.model),
                          betas: (setup.config.optim.betas[0], setup.config.optim.betas[1]),
                          eps: setup.config.optim.eps)
        let perEpoch = setup.trainLoader.batchesPerEpoch
        let total = setup.config.train.maxSteps ?? setup.config.train.epochs * perEpoch
        let warmup = setup.config.schedule.warmupSteps
            ?? Int((setup.config.schedule.warmupEpochs * Double(perEpoch)).rounded())
        schedule = LearningRateSchedule(baseLR: setup.config.optim.lr, minLR: setup.config.schedule.minLr,
                                        warmupSteps: warmup, totalSteps: total,
                                        cosine: setup.config.schedule.kind == "cosine")
        if let checkpoint {
            try restore(from: checkpoint)
        }
    }

    // MARK: - Checkpoint state

    /// The run's complete state.
    public func makeCheckpoint() -> Checkpoint {
        Checkpoint(config: config, modelConfig: model.config, epoch: epoch, batchInEpoch: batchInEpoch, step: step,
                   parameters: model.stateEntries().map { ($0.path, $0.tensor.shape, $0.tensor.data) },
                   optimizerStep: optimizer.step, optimizerState: optimizer.state,
                   modelRandomState: model.randomSource.generator.state,
                   metricsHistory: metricsHistory, bestAccuracy: bestAccuracy)
    }

    private func restore(from checkpoint: Checkpoint) throws {
        _ = try model.load(checkpoint.stateDictionary, strict: true, resamplePositionEmbedding: false)
        optimizer.restore(step: checkpoint.optimizerStep, state: checkpoint.optimizerState)
        if !checkpoint.modelRandomState.isEmpty {
            model.randomSource.generator.state = checkpoint.modelRandomState
        }
        epoch = checkpoint.epoch
        step = checkpoint.step
        batchInEpoch = checkpoint.batchInEpoch
        metricsHistory = checkpoint.metricsHistory
        bestAccuracy = checkpoint.bestAccuracy
    }

    // MARK: - The loop

    /// Trains until `train.epochs` (or `train.max_steps`) is reached or a stop is requested.
    @discardableResult
    public func run() throws -> RunEnd {
        let loader = setup.trainLoader
        while epoch < config.train.epochs && step < totalSteps {
            let started = Date()
            var lossSum = 0.0, correct = 0, seen = 0
            var lr = schedule.lr(at: step)
            let iterator = loader.batches(epoch: epoch, startBatch: batchInEpoch)
            while step < totalSteps, let batch = try iterator.next() {
                let stepStarted = Date()
                lr = schedule.lr(at: step)
                let (loss, hits) = try trainStep(batch, lr: lr)
                lossSum += loss * Double(batch.labels.count)
                correct += hits
                seen += batch.labels.count
                step += 1
                batchInEpoch += 1
                let rate = Double(batch.labels.count) / max(Date().timeIntervalSince(stepStarted), 1e-9)
                let metrics = StepMetrics(epoch: epoch, step: step, batchInEpoch: batchInEpoch,
                                          batchesPerEpoch: loader.batchesPerEpoch, loss: loss,
                                          accuracy: Double(hits) / Double(max(batch.labels.count, 1)),
                                          lr: lr, imagesPerSecond: rate)
                for hook in hooks { try hook.stepEnded(self, metrics) }
                if stopRequested {
                    for hook in hooks { try hook.runEnded(self, reason: .interrupted) }
                    return .interrupted
                }
            }
            // An epoch ends when its batches run out (or max_steps cuts it short).
            iterator.cancel()
            let seconds = Date().timeIntervalSince(started)
            epoch += 1
            batchInEpoch = 0
            var eval: EvalMetrics?
            if epoch % config.eval.every == 0 || epoch == config.train.epochs || step >= totalSteps {
                let result = try evaluate(setup.valLoader)
                eval = result
                for hook in hooks { try hook.evalEnded(self, epoch: epoch, result) }
            }
            let metrics = EpochMetrics(epoch: epoch, step: step, trainLoss: lossSum / Double(max(seen, 1)),
                                       trainAccuracy: Double(correct) / Double(max(seen, 1)), lr: lr,
                                       imagesPerSecond: Double(seen) / max(seconds, 1e-9), seconds: seconds,
                                       dataWaitSeconds: iterator.waitSeconds, eval: eval)
            if let accuracy = eval?.accuracy, accuracy > (bestAccuracy ?? -1) { bestAccuracy = accuracy }
            metricsHistory.append(MetricsLog.line(metrics))
            for hook in hooks { try hook.epochEnded(self, metrics) }
            if let stop = stopAfterEpoch, epoch >= stop, epoch < config.train.epochs, step < totalSteps {
                for hook in hooks { try hook.runEnded(self, reason: .paused) }
                return .paused
            }
        }
        for hook in hooks { try hook.runEnded(self, reason: .finished) }
        return .finished
    }

    /// One optimizer step; returns the batch loss and the number of correct predictions.
    func trainStep(_ batch: Batch, lr: Double) throws -> (loss: Double, correct: Int) {
        model.setTraining(true)
        let logits = model(batch.images)
        let loss = Tensor.crossEntropy(logits: logits, targets: batch.labels,
                                       labelSmoothing: Float(config.train.labelSmoothing))
        let lossValue = Double(loss.item)
        let parameters = optimizer.parameters
        // Backward runs even for a non-finite loss, so the message can name where it shows first.
        loss.backward()
        let badGradient = GradientClipping.firstNonFinite(parameters)
        if !lossValue.isFinite || badGradient != nil {
            model.zeroGrad()
            let what = lossValue.isFinite
                ? "the gradient of \(badGradient!)"
                : "the loss (\(lossValue))" + (badGradient.map { "; first parameter with a non-finite gradient: \($0)" } ?? "")
            if config.train.onNonFinite == "skip" {
                log("step \(step + 1): \(what) is not finite; step skipped")
                return (lossValue, 0)
            }
            throw TrainingError.nonFinite(step: step + 1, what: what)
        }
        if let clip = config.train.gradClip {
            GradientClipping.clip(parameters, maxNorm: clip)
        }
        Tensor.withoutGrad { optimizer.update(lr: lr) }
        model.zeroGrad()
        return (lossValue, Evaluation.correctCount(logits: logits, labels: batch.labels))
    }

    /// Loss, accuracy and confusion matrix over a loader, without recording a tape.
    public func evaluate(_ loader: DataLoader) throws -> EvalMetrics {
        try Evaluation.run(model: model, loader: loader, numClasses: model.config.numClasses)
    }
}
