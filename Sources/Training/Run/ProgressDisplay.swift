// Progress for long work: on a terminal a redrawn bar with loss, accuracy, images/s and ETA; when
// output is a file or pipe, a plain line every `train.log_every` steps (and one per epoch).

import Foundation

#if canImport(Glibc)
import Glibc
#endif

public final class ProgressHook: TrainerHook {
    private let isTerminal: Bool
    private let logEvery: Int
    private var smoothedRate: Double?
    private var runningLoss: Double?
    private var runningAccuracy: Double?
    private var batchSize: Double = 1
    private let write: (String) -> Void

    public init(logEvery: Int, isTerminal: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.logEvery = logEvery
        self.isTerminal = isTerminal
        self.write = write
    }

    /// "1:05:09" or "05:09".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%02d:%02d", s / 60, s % 60)
    }

    /// The text of a progress line (the bar only on a terminal).
    public func render(_ m: StepMetrics, totalSteps: Int, epochs: Int) -> String {
        let remainingSteps = Double(max(0, totalSteps - m.step))
        let rate = smoothedRate ?? m.imagesPerSecond
        let secondsPerStep = rate > 0 ? batchSize / rate : .nan
        let eta = ProgressHook.duration(remainingSteps * secondsPerStep)
        let head = "epoch \(m.epoch + 1)/\(epochs) \(m.batchInEpoch)/\(m.batchesPerEpoch)"
        let figures = String(format: "loss %.4f acc %5.1f%% %6.1f img/s lr %.2e ETA %@",
                             runningLoss ?? m.loss, 100 * (runningAccuracy ?? m.accuracy), rate, m.lr, eta)
        guard isTerminal else { return "\(head) step \(m.step) \(figures)" }
        let width = 24
        let filled = m.batchesPerEpoch > 0 ? width * m.batchInEpoch / m.batchesPerEpoch : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        return "\(head) [\(bar)] \(figures)"
    }

    public func stepEnded(_ trainer: Trainer, _ m: StepMetrics) throws {
        // Exponential moving averages keep the line steady from step to step.
        let a = 0.1
        smoothedRate = smoothedRate.map { (1 - a) * $0 + a * m.imagesPerSecond } ?? m.imagesPerSecond
        runningLoss = m.loss.isFinite ? (runningLoss.map { (1 - a) * $0 + a * m.loss } ?? m.loss) : runningLoss
        runningAccuracy = runningAccuracy.map { (1 - a) * $0 + a * m.accuracy } ?? m.accuracy
        // The rate is over all ranks of a data-parallel run, so a step takes the global batch.
        batchSize = Double(trainer.config.train.batchSize * (trainer.dataParallel?.size ?? 1))
        let text = render(m, totalSteps: trainer.totalSteps, epochs: trainer.config.train.epochs)
        if isTerminal {
            write("\r\u{1B}[2K" + text)
        } else if m.step % logEvery == 0 {
            write(text + "\n")
        }
    }

    public func evalEnded(_ trainer: Trainer, epoch: Int, _ m: EvalMetrics) throws {
        if isTerminal { write("\n") }
        write(String(format: "epoch %d: val loss %.4f val acc %.2f%% (%d images)\n", epoch, m.loss, 100 * m.accuracy, m.count))
    }

    public func epochEnded(_ trainer: Trainer, _ m: EpochMetrics) throws {
        write(String(format: "epoch %d/%d done in %@: train loss %.4f train acc %.2f%% %.1f img/s, data wait %.1f%%\n",
                     m.epoch, trainer.config.train.epochs, ProgressHook.duration(m.seconds),
                     m.trainLoss, 100 * m.trainAccuracy, m.imagesPerSecond, 100 * m.dataWaitSeconds / max(m.seconds, 1e-9)))
    }
}
