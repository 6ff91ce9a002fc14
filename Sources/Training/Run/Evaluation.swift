// Evaluation: loss, accuracy and a confusion matrix over a data loader, in eval mode and without
// a tape. Also used by `vittrain eval`, which can keep the logits for --predictions.

import Data
import Models

public enum Evaluation {
    /// Indices of the largest logit per row of a [N, C] tensor.
    public static func predictions(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        // A headless model (0 classes) predicts nothing; callers refuse it before evaluating.
        guard classes > 0 else { return [] }
        return (0..<logits.shape[0]).map { row in
            var best = 0
            for c in 1..<classes where logits.data[row * classes + c] > logits.data[row * classes + best] { best = c }
            return best
        }
    }

    static func correctCount(logits: Tensor, labels: [Int]) -> Int {
        zip(predictions(logits), labels).filter { $0 == $1 }.count
    }

    /// Runs the model over every batch of `loader`. `onBatch` sees each batch's logits.
    /// A label outside the head's classes throws `LabelRangeError` (the caller names the data).
    public static func run(model: VisionTransformer, loader: DataLoader, numClasses: Int,
                           onBatch: ((Batch, Tensor) throws -> Void)? = nil) throws -> EvalMetrics {
        // Restore whatever mode the caller had (a trainer mid-epoch, or an eval-only model).
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        var lossSum = 0.0, correct = 0, count = 0
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: numClasses), count: numClasses)
        let iterator = loader.batches(epoch: 0, startBatch: 0)
        while let batch = try iterator.next() {
            try LabelRangeError.check(batch, classes: numClasses)
            let logits = Tensor.withoutGrad { model(batch.images) }
            let loss = Tensor.withoutGrad { Tensor.crossEntropy(logits: logits, targets: batch.labels) }
            lossSum += Double(loss.item) * Double(batch.labels.count)
            for (predicted, label) in zip(predictions(logits), batch.labels) {
                if predicted == label { correct += 1 }
                if label < numClasses && predicted < numClasses { confusion[label][predicted] += 1 }
            }
            count += batch.labels.count
            try onBatch?(batch, logits)
        }
        return EvalMetrics(loss: lossSum / Double(max(count, 1)), accuracy: Double(correct) / Double(max(count, 1)),
                           count: count, confusion: confusion)
    }
}
