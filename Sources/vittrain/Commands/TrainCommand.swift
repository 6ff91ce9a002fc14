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
        try reportingErrors {
            let session = try TrainingSession.start(configPath: config, overrides: overrides,
                                                    resume: resume || resumeFrom != nil, resumeFrom: resumeFrom)
            session.trainer.stopAfterEpoch = stopAfterEpoch
            _ = try session.run()
        }
    }
}
