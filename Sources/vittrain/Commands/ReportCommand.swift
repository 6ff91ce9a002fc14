// `vittrain report RUN_DIR`: the page that shows attention forming during training, epoch by
// epoch and layer by layer, from the run's attention record.

import ArgumentParser
import Interpret

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build the attention-over-training page of a run (RUN_DIR/attention_report/index.html).")

    @Argument(help: "The run directory (holds attention_record.h5).")
    var runDirectory: String

    func run() throws {
        try reportingErrors {
            let summary = try TrainingReport.write(runDirectory: runDirectory)
            print("report: open \(summary.indexPath)")
        }
    }
}
