// One `vittrain train` invocation: config, resume point, setup, hooks, signals, and the run.

import Data
import FileFormats
import Foundation
import Models
import Training

final class TrainingSession {
    let trainer: Trainer
    let checkpointHook: CheckpointHook
    private var signalSources: [DispatchSourceSignal] = []
    private var interrupts = 0

    private init(trainer: Trainer, checkpointHook: CheckpointHook) {
        self.trainer = trainer
        self.checkpointHook = checkpointHook
    }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func start(configPath: String?, overrides: [String], resume: Bool, resumeFrom: String?) throws -> TrainingSession {
        var config: RunConfig
        var checkpoint: Checkpoint?
        var resumePath: String?
        if let configPath {
            config = try RunConfig.load(path: configPath, overrides: overrides)
        } else {
            config = RunConfig()
        }
        if resume {
            let path = resumeFrom ?? ((config.checkpoint.dir ?? "Checkpoints/\(config.name)") as NSString).appendingPathComponent("last.h5")
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError("--resume: no checkpoint at \(path); start the run without --resume first")
            }
            let saved = try Checkpoint.read(path)
            // The run continues with the config it started with; --set may still change it.
            if configPath == nil || resumeFrom != nil {
                var object = try ConfigReader.parse(Data(saved.config.jsonString().utf8), file: path)
                try RunConfig.applyOverrides(overrides, to: &object)
                config = try RunConfig.read(object)
            }
            checkpoint = saved
            resumePath = path
        }
        ComputeSettings.apply(config.train, log: log)
        let setup = try RunSetup(config: config, loadInitialWeights: checkpoint == nil)
        let trainer: Trainer
        do {
            trainer = try Trainer(setup: setup, resumeFrom: checkpoint, log: log)
        } catch let error as ModelLoadError {
            // The config's model differs from the one the checkpoint holds (another architecture).
            throw ModelLoadError.file(resumePath ?? "the checkpoint", error)
        }
        let directory = setup.runDirectory
        // Our atomic write (fsync, rename, our temporary names that a later start cleans up).
        try AtomicFile.write(Data(config.jsonString().utf8), to: (directory as NSString).appendingPathComponent("config.json"))
        let checkpoints = CheckpointHook(directory: directory, section: config.checkpoint, log: log)
        let metricsLog = MetricsLogHook(path: (directory as NSString).appendingPathComponent("metrics.jsonl"), logEvery: config.train.logEvery)
        // The log holds exactly the steps the run has made: a fresh start (step 0) in a folder
        // that has a log begins it anew, as it rewrites the checkpoints.
        try metricsLog.truncate(afterStep: checkpoint?.step ?? 0)
        trainer.hooks = [ProgressHook(logEvery: config.train.logEvery), metricsLog, checkpoints]
        if config.eval.attention && config.eval.probeImages > 0 {
            // Before the checkpoint hook in the list: a record never lags the checkpoint it sits beside.
            trainer.hooks.insert(try AttentionSnapshotHook(setup: setup, count: config.eval.probeImages,
                                                           fullMaps: config.eval.fullMaps, log: log), at: 2)
        }
        let model = setup.model.config
        log("vittrain: \(config.model.arch) (dim \(model.embedDim), depth \(model.depth), heads \(model.numHeads), \(model.imageSize)px / patch \(model.patchSize), \(model.numClasses) classes, \(setup.model.parameterCount) parameters) on \(config.data.dataset): \(setup.trainSet.count) train / \(setup.valSet.count) val images, \(Parallel.threadCount) threads")
        for note in setup.notes { log(note) }
        if let checkpoint { log("resuming at epoch \(checkpoint.epoch + 1), batch \(checkpoint.batchInEpoch), step \(checkpoint.step)") }
        log("writing to \(directory)")
        let session = TrainingSession(trainer: trainer, checkpointHook: checkpoints)
        session.installSignalHandlers()
        return session
    }

    /// SIGINT / SIGTERM finish the current step, write a checkpoint and exit 0; a second
    /// Ctrl-C exits at once (the last complete checkpoint is still intact, writes being atomic).
    private func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.interrupts += 1
                if self.interrupts > 1 {
                    TrainingSession.log("\nsecond interrupt: exiting now; the last checkpoint is intact")
                    exit(130)
                }
                TrainingSession.log("\ninterrupt: finishing the current step, then writing a checkpoint (Ctrl-C again to quit at once)")
                self.trainer.stopRequested = true
            }
            source.resume()
            signalSources.append(source)
        }
    }

    func run() throws -> RunEnd {
        let end = try trainer.run()
        switch end {
        case .finished:
            let best = trainer.bestAccuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a"
            TrainingSession.log("done: \(trainer.epoch) epochs, \(trainer.step) steps, best val acc \(best); checkpoints in \(checkpointHook.directory)")
        case .interrupted:
            TrainingSession.log("resume with: vittrain train --resume-from \(checkpointHook.lastPath)")
        case .paused:
            TrainingSession.log("stopped after epoch \(trainer.epoch) as asked; continue with --resume (or --resume-from \(checkpointHook.lastPath))")
        }
        return end
    }
}
