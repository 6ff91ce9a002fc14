// `vittrain explain --checkpoint C IMAGE... [--out DIR]`: the top-5 classes of each photo (PNG,
// JPEG or folders), its maps by every chosen method, a page to browse them and the faithfulness
// scoreboard. No dataset is scored.

import ArgumentParser
import Foundation
import Interpret

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain photos with a checkpoint: top-5 classes, maps by method, a page and a faithfulness scoreboard.")

    @Option(help: "The vittrain checkpoint (.h5), e.g. one written by `vittrain import`.")
    var checkpoint: String

    @Argument(help: "PNG or JPEG images, or folders of them.")
    var images: [String]

    @Option(help: "Write the maps, attention.h5, index.html and the scoreboard here.")
    var out = "explain"

    @OptionGroup var explain: ExplainOptions

    @Flag(help: "Skip the deletion / insertion scoreboard.")
    var noScore = false

    @Option(help: "Scoreboard: patches removed or revealed per step.")
    var scoreStep = 1

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image or folder") }
        if scoreStep < 1 { throw ValidationError("--score-step \(scoreStep): expected 1 or more") }
    }

    func run() throws {
        try reportingErrors {
            let explained = try ExplainModel(checkpoint: checkpoint, options: explain)
            try ExplainRun.run(explained, paths: images, options: explain, to: out, score: !noScore, step: scoreStep)
        }
    }
}
