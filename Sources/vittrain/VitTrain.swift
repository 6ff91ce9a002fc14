// The command-line entry point. `vittrain --config C` is `vittrain train --config C`.

import ArgumentParser
import Foundation

@main
struct VitTrain: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vittrain",
        abstract: "Train, fine-tune, evaluate and explain Vision Transformers on a CPU.",
        version: version,
        subcommands: [TrainCommand.self, InspectCommand.self, ImportCommand.self, ExportCommand.self,
                      DataCommand.self, BenchCommand.self, EvalCommand.self, ReportCommand.self],
        defaultSubcommand: TrainCommand.self
    )
}
