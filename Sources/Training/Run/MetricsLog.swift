// The JSON-lines metrics log: one object per epoch (and per `train.log_every` steps), appended
// to `<run>/metrics.jsonl` and kept in the checkpoint's history.

import FileFormats
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

    /// The objects of a metrics log, in order. A last line without its newline is a write cut
    /// short (power loss, a full disk) and is dropped; any other line that is not a JSON object
    /// is an error naming the file and line.
    public static func read(_ path: String) throws -> [[String: Any]] {
        try entries(path).map(\.object)
    }

    /// Each line's text with its object (see `read`).
    static func entries(_ path: String) throws -> [(line: String, object: [String: Any])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(key: "", "\(path): cannot read the metrics log")
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // After the final newline split leaves an empty piece; without one, a torn line.
        if !lines.isEmpty { lines.removeLast() }
        return try lines.enumerated().map { number, line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw ConfigError(key: "", "\(path): line \(number + 1) is not a JSON object")
            }
            return (String(decoding: line, as: UTF8.self), object)
        }
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

    /// A resumed run starts from its checkpoint's step: lines logged after it (by the process
    /// that was stopped or killed before its next checkpoint) would be logged again, so they
    /// are dropped first, as is a line cut short. The file is replaced atomically.
    public func truncate(afterStep step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let kept = try MetricsLog.entries(path).filter { (($0.object["step"] as? Int) ?? 0) <= step }
        try AtomicFile.write(Data(kept.map { $0.line + "\n" }.joined().utf8), to: path)
    }

    func append(_ line: String) throws {
        if !FileManager.default.fileExists(atPath: path) && !FileManager.default.createFile(atPath: path, contents: nil) {
            throw ConfigError(key: "", "\(path): cannot create the metrics log")
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
