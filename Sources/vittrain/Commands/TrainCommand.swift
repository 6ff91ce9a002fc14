// `vittrain train --config C [--set k=v]… [--resume]`: the main job. Wires the trainer's hooks
// (progress, metrics log, checkpoints, attention snapshots) and the signal handling.

import ArgumentParser
import Foundation
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a ViT from a JSON config (the default command).")

    @Option(name: .shortAndLong, help: "The JSON config (configs/ and Configs/ both work).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a config key, e.g. --set train.epochs=3 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Continue the run from the last checkpoint in its directory.")
    var resume = false

    @Option(help: "Continue from this checkpoint file (implies --resume).")
    var resumeFrom: String?

    @Option(help: "Stop after this epoch (schedule unchanged); continue later with --resume.")
    var stopAfterEpoch: Int?

    func validate() throws {
        if config == nil && resumeFrom == nil {
            throw ValidationError("give --config FILE (or --resume-from CHECKPOINT)")
        }
    }

    func run() throws {
        // Under mpirun this process is one rank (Training/Distributed); otherwise a world of one.
        let world = try reportingErrors { try Communicator.fromEnvironment() }
        do {
            let session = try TrainingSession.start(configPath: config, overrides: overrides,
                                                    resume: resume || resumeFrom != nil, resumeFrom: resumeFrom,
                                                    world: world)
            session.trainer.stopAfterEpoch = stopAfterEpoch
            _ = try session.run()
            world.finalize()
        } catch let error as DistributedError where error.isAgreed {
            // Every rank knows; rank 0 carries the message. All leave MPI cleanly.
            world.finalize()
            if error.isReportedElsewhere { throw ExitCode.failure }
            throw CLIError("\(error)")
        } catch let error as TrainingError {
            // Gradients are averaged first, so every rank stops at the same step: rank 0 reports.
            world.finalize()
            if world.rank > 0 { throw ExitCode.failure }
            throw CLIError("\(error)")
        } catch let error as ExitCode {
            throw error
        } catch let error as DistributedError {
            throw CLIError("\(error)")  // names its rank already
        } catch {
            throw CLIError(world.isDistributed ? "rank \(world.rank): \(error)" : "\(error)")
        }
    }
}
