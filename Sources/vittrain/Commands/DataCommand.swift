// `vittrain data fetch cifar10`: downloads a dataset (with a progress bar and a checksum) into
// Datasets/. Fashion-MNIST comes from Debian's dataset-fashion-mnist package instead.

import ArgumentParser
import Data
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch datasets.",
        subcommands: [Fetch.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a dataset (cifar10) with a progress bar and checksum.")

        @Argument(help: "The dataset: cifar10.")
        var name: String

        @Option(help: "Where to put it.")
        var dir = "Datasets"

        func run() throws {
            try reportingErrors {
                switch name {
                case "cifar10":
                    let folder = try CIFAR10Download.fetch(into: dir)
                    print("CIFAR-10 is ready in \(folder)")
                case "fashion-mnist":
                    throw CLIError("fashion-mnist: install Debian's package (apt-get install dataset-fashion-mnist) or put the four IDX files in \(dir)/fashion-mnist/")
                default:
                    throw CLIError("unknown dataset \"\(name)\"; expected cifar10")
                }
            }
        }
    }
}
