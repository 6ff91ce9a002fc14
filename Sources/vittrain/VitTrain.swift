// The command-line entry point. `vittrain --config C` is `vittrain train --config C`.

import ArgumentParser
import Foundation
import Tensor

@main
struct VitTrain: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vittrain",
        abstract: "Train, fine-tune, evaluate and explain Vision Transformers on a CPU.",
        version: version,
        subcommands: [TrainCommand.self, InspectCommand.self, ImportCommand.self, ExportCommand.self,
                      DataCommand.self, BenchCommand.self, EvalCommand.self, ExplainCommand.self, ReportCommand.self],
        defaultSubcommand: TrainCommand.self
    )

    /// Rejects a VITTRAIN_CPU value that names no level or one this CPU lacks before any kernel
    /// runs (the kernels themselves would quietly use the detected level). No CPU is turned away:
    /// every kernel has a portable baseline variant.
    static func main() {
        if let problem = CPULevel.environmentProblem {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
            Self.exit(withError: ExitCode.failure)
        }
        main(nil)
    }
}
