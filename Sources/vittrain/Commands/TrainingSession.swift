// One `vittrain train` invocation: config, resume point, setup, hooks, signals, and the run.
// Under mpirun every rank runs a session; only rank 0 has hooks (progress, metrics, checkpoints,
// attention snapshots) and writes the log, and the setup's errors are agreed on and reported once.

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

    /// Rank 0 writes the run's messages; the other ranks of a distributed run stay quiet.
    nonisolated(unsafe) static var isLogging = true

    static func log(_ line: String) {
        guard isLogging else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func start(configPath: String?, overrides: [String], resume: Bool, resumeFrom: String?,
                      world: Communicator = .single) throws -> TrainingSession {
        isLogging = world.rank == 0
        // Every rank reads the config, the checkpoint and the data; one failure stops them all.
        let (config, checkpoint, resumePath, setup) = try world.agree {
            let (config, checkpoint, resumePath) = try readConfig(configPath: configPath, overrides: overrides, resume: resume, resumeFrom: resumeFrom)
            ComputeSettings.apply(config.train, log: log)
            return (config, checkpoint, resumePath, try RunSetup(config: config, loadInitialWeights: checkpoint == nil))
        }
        let trainer: Trainer
        do {
            trainer = try Trainer(setup: setup, resumeFrom: checkpoint, communicator: world, log: log)
        } catch let error as ModelLoadError {
            // The config's model differs from the one the checkpoint holds (another architecture).
            throw ModelLoadError.file(resumePath ?? "the checkpoint", error)
        }
        let session = TrainingSession(trainer: trainer, checkpointHook: CheckpointHook(directory: setup.runDirectory, section: config.checkpoint, log: log))
        if world.rank == 0 { try session.addRankZeroHooks(checkpoint: checkpoint) }
        session.installSignalHandlers()
        return session
    }

    private static func readConfig(configPath: String?, overrides: [String], resume: Bool, resumeFrom: String?) throws -> (RunConfig, Checkpoint?, String?) {
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
        return (config, checkpoint, resumePath)
    }

    /// The run's outputs: config copy, progress, metrics log, checkpoints, attention snapshots.
    private func addRankZeroHooks(checkpoint: Checkpoint?) throws {
        let setup = trainer.setup, config = trainer.config, log = TrainingSession.log
        let directory = setup.runDirectory
        // Our atomic write (fsync, rename, our temporary names that a later start cleans up).
        try AtomicFile.write(Data(config.jsonString().utf8), to: (directory as NSString).appendingPathComponent("config.json"))
        let checkpoints = checkpointHook
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
        let ranks = trainer.dataParallel.map { ", \($0.size) ranks × batch \(config.train.batchSize) (global batch \($0.size * config.train.batchSize))" } ?? ""
        log("vittrain: \(config.model.arch) (dim \(model.embedDim), depth \(model.depth), heads \(model.numHeads), \(model.imageSize)px / patch \(model.patchSize), \(model.numClasses) classes, \(setup.model.parameterCount) parameters) on \(config.data.dataset): \(setup.trainSet.count) train / \(setup.valSet.count) val images, \(Parallel.threadCount) threads\(trainer.dataParallel == nil ? "" : " per rank")\(ranks)")
        for note in setup.notes { log(note) }
        if let checkpoint { log("resuming at epoch \(checkpoint.epoch + 1), batch \(checkpoint.batchInEpoch), step \(checkpoint.step)") }
        log("writing to \(directory)")
    }

    /// SIGINT / SIGTERM / SIGUSR1 finish the current step, write a checkpoint and exit 0; a second
    /// one exits at once (the last complete checkpoint is still intact, writes being atomic).
    /// SIGUSR1 is for mpirun: Open MPI 4.1 forwards it to every rank as it is, so the job ends
    /// with mpirun's status 0, whereas SIGINT / SIGTERM to mpirun always make it exit 1
    /// (`clean_abort` in orte/mca/ess/hnp/ess_hnp_module.c forces a non-zero status).
    private func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM, SIGUSR1] {
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
        let launcher = trainer.dataParallel.map { "mpirun -np \($0.size) " } ?? ""
        switch end {
        case .finished:
            let best = trainer.bestAccuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a"
            TrainingSession.log("done: \(trainer.epoch) epochs, \(trainer.step) steps, best val acc \(best); checkpoints in \(checkpointHook.directory)")
        case .interrupted:
            TrainingSession.log("resume with: \(launcher)vittrain train --resume-from \(checkpointHook.lastPath)")
        case .paused:
            TrainingSession.log("stopped after epoch \(trainer.epoch) as asked; continue with --resume (or --resume-from \(checkpointHook.lastPath))")
        }
        return end
    }
}
