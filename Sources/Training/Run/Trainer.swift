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
    /// Samples of the current epoch consumed by all ranks together (the resume position).
    public private(set) var epochPosition = 0
    /// Set when this process is one rank of a data-parallel job (Distributed/DataParallel.swift).
    public let dataParallel: DataParallel?
    /// Every rank's dropout stream, gathered at epoch ends and interrupts for the checkpoint.
    private var rankRandomStates: [[UInt64]] = []

    /// With a distributed `communicator` the trainer is one rank of a data-parallel run: the
    /// loaders read this rank's shard, gradients are averaged over ranks, and every rank agrees
    /// on each step's figures and on when to stop.
    public init(setup: RunSetup, resumeFrom checkpoint: Checkpoint? = nil, communicator: Communicator = .single,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        self.setup = setup
        self.log = log
        let trainable = setup.model.trainableParameters()
        dataParallel = communicator.isDistributed ? DataParallel(communicator: communicator, parameters: trainable) : nil
        if let dataParallel {
            setup.trainLoader.shard(rank: dataParallel.rank, of: dataParallel.size, padded: true)
            setup.valLoader.shard(rank: dataParallel.rank, of: dataParallel.size, padded: false)
            if dataParallel.rank > 0 {
                setup.model.randomSource.generator = DataParallel.rankRandomState(seed: setup.config.train.seed, rank: dataParallel.rank, step: 0)
            }
        }
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
        try dataParallel?.broadcastParameters(setup.model.stateEntries())
    }

    private var worldSize: Int { dataParallel?.size ?? 1 }

    // MARK: - Checkpoint state

    /// The run's complete state.
    public func makeCheckpoint() -> Checkpoint {
        var checkpoint = Checkpoint(config: config, modelConfig: model.config, epoch: epoch, batchInEpoch: batchInEpoch, step: step,
                   parameters: model.stateEntries().map { ($0.path, $0.tensor.shape, $0.tensor.data) },
                   optimizerStep: optimizer.step, optimizerState: optimizer.state,
                   modelRandomState: model.randomSource.generator.state,
                   metricsHistory: metricsHistory, bestAccuracy: bestAccuracy)
        checkpoint.rankRandomStates = dataParallel == nil ? [] : rankRandomStates
        checkpoint.worldSize = worldSize
        checkpoint.epochPosition = epochPosition
        return checkpoint
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
        epochPosition = checkpoint.epochPosition ?? checkpoint.batchInEpoch * config.train.batchSize
        restoreRankState(from: checkpoint)
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
            let iterator = loader.batches(epoch: epoch, startPosition: epochPosition)
            while step < totalSteps, let batch = try iterator.next() {
                let stepStarted = Date()
                lr = schedule.lr(at: step)
                var (loss, hits) = try trainStep(batch, lr: lr)
                var count = batch.labels.count, stop = stopRequested
                if let dataParallel {
                    let global = try dataParallel.reduceStep(lossSum: loss * Double(count), correct: hits, count: count, stop: stop)
                    (loss, hits, count, stop) = (global.lossSum / Double(max(global.count, 1)), global.correct, global.count, global.stop)
                }
                lossSum += loss * Double(count)
                correct += hits
                seen += count
                step += 1
                batchInEpoch += 1
                epochPosition = min(epochPosition + batch.labels.count * worldSize, loader.dataset.count)
                let rate = Double(count) / max(Date().timeIntervalSince(stepStarted), 1e-9)
                let metrics = StepMetrics(epoch: epoch, step: step, batchInEpoch: batchInEpoch,
                                          batchesPerEpoch: loader.batchesPerEpoch, loss: loss,
                                          accuracy: Double(hits) / Double(max(count, 1)),
                                          lr: lr, imagesPerSecond: rate)
                for hook in hooks { try hook.stepEnded(self, metrics) }
                if stop {
                    try gatherRankStates()
                    for hook in hooks { try hook.runEnded(self, reason: .interrupted) }
                    return .interrupted
                }
            }
            // An epoch ends when its batches run out (or max_steps cuts it short).
            iterator.cancel()
            let seconds = Date().timeIntervalSince(started)
            epoch += 1
            batchInEpoch = 0
            epochPosition = 0
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
            try gatherRankStates()
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
        // Data-parallel: gradients are averaged over ranks before the checks, so every rank
        // takes the same decision.
        if let dataParallel {
            loss.backward(leafReady: dataParallel.gradients.leafReady)
            try dataParallel.gradients.finish()
        } else {
            loss.backward()
        }
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
        let metrics = try Evaluation.run(model: model, loader: loader, numClasses: model.config.numClasses)
        return try dataParallel?.reduce(metrics) ?? metrics
    }

    // MARK: - Data-parallel state

    /// Rank r continues its own dropout stream when the checkpoint has one (same or fewer ranks
    /// before), else starts a fresh stream from (seed, rank, step). With a different number of
    /// ranks the position is kept in samples: batches of the new global size pick up where the
    /// old run stopped, and the step count is re-expressed in them so the schedule keeps its place.
    private func restoreRankState(from checkpoint: Checkpoint) {
        let rank = dataParallel?.rank ?? 0
        if rank < checkpoint.rankRandomStates.count {
            model.randomSource.generator.state = checkpoint.rankRandomStates[rank]
        } else if rank > 0 {
            model.randomSource.generator = DataParallel.rankRandomState(seed: config.train.seed, rank: rank, step: checkpoint.step)
        }
        guard checkpoint.worldSize != worldSize else { return }
        batchInEpoch = epochPosition / (config.train.batchSize * worldSize)
        step = epoch * setup.trainLoader.batchesPerEpoch + batchInEpoch
        if rank == 0 {
            log("resuming a \(checkpoint.worldSize)-rank run on \(worldSize) rank(s): epoch \(epoch + 1) continues after sample \(epochPosition); step \(checkpoint.step) is step \(step) at global batch \(config.train.batchSize * worldSize)")
        }
    }

    private func gatherRankStates() throws {
        guard let dataParallel else { return }
        rankRandomStates = try dataParallel.gatherRandomStates(model.randomSource.generator.state)
    }
}
