import Data
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
