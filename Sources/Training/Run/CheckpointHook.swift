// Checkpointing as a hook: every `checkpoint.every` epochs it writes `epoch-NNNN.h5`, keeps the
// last N of them, refreshes `last.h5` and (by validation accuracy) `best.h5`; on an interrupt it
// writes `last.h5` with the position inside the epoch. All writes are atomic.

import Foundation

public final class CheckpointHook: TrainerHook {
    public let directory: String
    private let every: Int
    private let keepLast: Int
    private let keepBest: Bool
    private let log: (String) -> Void

    public init(directory: String, section: CheckpointSection, log: @escaping (String) -> Void) {
        self.directory = directory
        self.every = section.every
        self.keepLast = section.keepLast
        self.keepBest = section.keepBest
        self.log = log
        removeStaleTemporaries()
    }

    /// A process killed mid-write leaves its temporary file behind (the checkpoint itself is
    /// intact); a new run in the same folder clears them. A temporary whose writer (the pid in
    /// its name, `.x.tmp-PID-N`) still runs is left alone: under mpirun every rank starts here
    /// while rank 0 may already be writing config.json.
    private func removeStaleTemporaries() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".tmp") {
            if let range = name.range(of: ".tmp-"),
               let pid = Int32(name[range.upperBound...].prefix { $0.isNumber }), kill(pid, 0) == 0 {
                continue
            }
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    public var lastPath: String { (directory as NSString).appendingPathComponent("last.h5") }
    public var bestPath: String { (directory as NSString).appendingPathComponent("best.h5") }

    public func epochEnded(_ trainer: Trainer, _ metrics: EpochMetrics) throws {
        let checkpoint = trainer.makeCheckpoint()
        let isLast = metrics.epoch >= trainer.config.train.epochs || metrics.step >= trainer.totalSteps
        if metrics.epoch % every == 0 || isLast {
            let name = String(format: "epoch-%04d.h5", metrics.epoch)
            try checkpoint.write(to: (directory as NSString).appendingPathComponent(name))
            try pruneOldEpochs()
        }
        // best.h5 before last.h5: a run killed between the two writes resumes from the previous
        // last.h5 and writes this best.h5 again; the other order would lose this epoch's best.
        if keepBest, let accuracy = metrics.eval?.accuracy, accuracy >= (trainer.bestAccuracy ?? 0) {
            try checkpoint.write(to: bestPath)
        }
        try checkpoint.write(to: lastPath)
    }

    public func runEnded(_ trainer: Trainer, reason: RunEnd) throws {
        guard reason == .interrupted else { return }
        try trainer.makeCheckpoint().write(to: lastPath)
        log("interrupted: checkpoint written to \(lastPath) (epoch \(trainer.epoch + 1), batch \(trainer.batchInEpoch)); continue with --resume")
    }

    private func pruneOldEpochs() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let epochs = names.filter { $0.hasPrefix("epoch-") && $0.hasSuffix(".h5") }.sorted()
        for name in epochs.dropLast(keepLast) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }
}
