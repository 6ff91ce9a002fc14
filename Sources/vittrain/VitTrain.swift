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
        subcommands: [Version.self],
        defaultSubcommand: Version.self
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version and the BLAS in use.")

    func run() throws {
        print("vittrain \(VitTrain.version)")
    }
}
