// The JSON-lines metrics log: one object per epoch (and per `train.log_every` steps), appended
// to `<run>/metrics.jsonl` and kept in the checkpoint's history.

import Foundation

public enum MetricsLog {
    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The epoch line.
    public static func line(_ m: EpochMetrics) -> String {
        var object: [String: Any] = [
            "kind": "epoch", "epoch": m.epoch, "step": m.step, "train_loss": m.trainLoss,
            "train_accuracy": m.trainAccuracy, "lr": m.lr, "images_per_second": m.imagesPerSecond,
            "seconds": m.seconds, "data_wait_seconds": m.dataWaitSeconds, "wall_time_s": m.wallTime,
        ]
        if let e = m.eval {
            object["val_loss"] = e.loss
            object["val_accuracy"] = e.accuracy
            object["val_count"] = e.count
        }
        if let e = m.emaEval {
            object["ema_val_loss"] = e.loss
            object["ema_val_accuracy"] = e.accuracy
        }
        return json(object)
    }

    /// A step line.
    public static func line(_ m: StepMetrics) -> String {
        json(["kind": "step", "epoch": m.epoch, "step": m.step, "loss": m.loss, "accuracy": m.accuracy,
              "lr": m.lr, "images_per_second": m.imagesPerSecond])
    }
}

/// Appends metrics lines to a file in the run directory.
public final class MetricsLogHook: TrainerHook {
    public let path: String
    private let logEvery: Int

    public init(path: String, logEvery: Int) {
        self.path = path
        self.logEvery = logEvery
    }

    func append(_ line: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ConfigError(key: "", "\(path): cannot open the metrics log for writing")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
    }

    public func stepEnded(_ trainer: Trainer, _ metrics: StepMetrics) throws {
        if metrics.step % logEvery == 0 { try append(MetricsLog.line(metrics)) }
    }

    public func epochEnded(_ trainer: Trainer, _ metrics: EpochMetrics) throws {
        try append(MetricsLog.line(metrics))
    }
}
