import Data
import Foundation
import Models
import Training
import XCTest

/// `Evaluation.run` evaluates in eval mode and then leaves the model in the mode it found
/// (it used to switch every model to training mode on the way out).
final class EvaluationModeTests: XCTestCase {
    func testEvaluationRestoresTheModeItFound() throws {
        let dataset = SyntheticShapesDataset(count: 8, imageSize: 16, seed: 1, split: .test)
        let loader = try DataLoader(dataset: dataset, batchSize: 4, shuffle: false, seed: 0)
        let model = VisionTransformer(config: ViTConfig(imageSize: 16, patchSize: 8, numClasses: 6, embedDim: 8,
                                                        depth: 1, numHeads: 2, dropRate: 0.5), seed: 0)
        for wasTraining in [false, true, false] {
            model.setTraining(wasTraining)
            var modeDuringBatches: [Bool] = []
            let metrics = try Evaluation.run(model: model, loader: loader, numClasses: 6) { _, _ in
                modeDuringBatches.append(model.isTraining)
            }
            XCTAssertEqual(metrics.count, 8)
            XCTAssertEqual(modeDuringBatches, [false, false], "evaluation runs in eval mode")
            XCTAssertEqual(model.isTraining, wasTraining, "the mode the model had before")
        }
    }
}

/// `eval.batch_size` sets the validation loader's batch. No op mixes images, so each image's
/// logits agree to float rounding at any batch size (not bit for bit: a GEMM with more rows can
/// take another kernel or blocking, measured 3e-8 apart here).
final class EvaluationBatchSizeTests: XCTestCase {
    func testValidationBatchIsConfigurableAndDoesNotChangeTheResults() throws {
        var config = RunConfig()
        config.data.trainCount = 16
        config.data.valCount = 21
        config.model.imgSize = 16
        config.model.patchSize = 4
        config.model.embedDim = 16
        config.model.depth = 2
        config.model.numHeads = 2
        config.train.batchSize = 4
        config.checkpoint.dir = NSTemporaryDirectory() + "vittrain-evalbatch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: config.checkpoint.dir!) }
        let trainBatch = try RunSetup(config: config)
        XCTAssertEqual(trainBatch.valLoader.batchSize, 4, "by default the training batch size")
        config.eval.batchSize = 16
        let evalBatch = try RunSetup(config: config)
        XCTAssertEqual(evalBatch.valLoader.batchSize, 16)

        func logits(_ setup: RunSetup) throws -> (EvalMetrics, [Float], batches: Int) {
            var values: [Float] = [], batches = 0
            let metrics = try Evaluation.run(model: trainBatch.model, loader: setup.valLoader,
                                             numClasses: trainBatch.model.config.numClasses) { _, l in
                values += l.data
                batches += 1
            }
            return (metrics, values, batches)
        }
        let (small, smallLogits, smallBatches) = try logits(trainBatch)
        let (large, largeLogits, largeBatches) = try logits(evalBatch)
        XCTAssertEqual([smallBatches, largeBatches], [6, 2])
        XCTAssertEqual(smallLogits.count, largeLogits.count)
        let largest = zip(smallLogits, largeLogits).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(largest, 1e-6, "each image's logits agree to float rounding")
        XCTAssertEqual(small.accuracy, large.accuracy)
        XCTAssertEqual(small.count, 21)
        XCTAssertEqual(large.loss, small.loss, accuracy: 1e-6)
    }
}
