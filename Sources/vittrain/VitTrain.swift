// The command-line entry point. `vittrain --config C` is `vittrain train --config C`.

import ArgumentParser
import CKernels
import Foundation

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

    /// Checks the CPU before any kernel runs: on x86-64 the kernels are compiled for AVX2 + FMA
    /// (Package.swift), and an older CPU would otherwise die on an illegal instruction. This file
    /// is compiled without those flags, so the check itself runs anywhere.
    static func main() {
        guard vt_cpu_has_avx2_fma() != 0 else {
            FileHandle.standardError.write(Data("error: this build of vittrain needs an x86-64 CPU with AVX2 and FMA (Haswell, Zen or newer); this CPU lacks them\n".utf8))
            Self.exit(withError: ExitCode.failure)
        }
        main(nil)
    }
}
