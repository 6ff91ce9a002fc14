// The measures on a real forward pass of our VisionTransformer: captured maps are probabilities
// of the right shape, and the snapshot, dump and embeddings run end to end on them.

import XCTest
import Foundation
import FileFormats
import Interpret

final class ModelCaptureTests: XCTestCase {
    func testCaptureSnapshotDumpAndEmbeddings() throws {
        let config = ViTConfig(imageSize: 32, patchSize: 8, numClasses: 4, embedDim: 24, depth: 2, numHeads: 2)
        let model = VisionTransformer(config: config, seed: 3)
        model.setTraining(true)
        var rng = RandomGenerator(seed: 5)
        let images = Tensor.uniform([2, 3, 32, 32], rng: &rng)
        let captured = try ModelCapture.run(model, images: images)
        XCTAssertTrue(model.isTraining, "the model's mode is restored")
        XCTAssertEqual(captured.attentions.map(\.shape), [[2, 2, 17, 17], [2, 2, 17, 17]])
        XCTAssertEqual([captured.gridHeight, captured.gridWidth], [4, 4])
        for a in captured.attentions {
            for row in 0..<(a.count / 17) {
                XCTAssertEqual(a.data[(row * 17)..<((row + 1) * 17)].reduce(0, +), 1, accuracy: 1e-5)
            }
        }
        let snapshot = try captured.snapshot()
        XCTAssertEqual(snapshot.rollout.shape, [2, 16])
        // Rollout rows of R sum to 1, so the CLS row over the patches is below 1 and positive.
        for b in 0..<2 {
            let mass = snapshot.rollout.data[(b * 16)..<((b + 1) * 16)].reduce(0, +)
            XCTAssertGreaterThan(mass, 0)
            XCTAssertLessThan(mass, 1)
        }
        let explained = try (0..<2).map { b -> ExplainedImage in
            let chw = Array(images.data[(b * 3072)..<((b + 1) * 3072)])
            return try ExplainedImage(name: "img\(b)", chw: chw, channels: 3, height: 32, width: 32, label: "0")
        }
        let dir = try temporaryDirectory("model")
        let summary = try AttentionDump.write(images: explained, attentions: captured.attentions,
                                              gridHeight: captured.gridHeight, gridWidth: captured.gridWidth, to: dir)
        // Per image: input, 2 layers × (2 heads + mean), rollout, grid, compare and the layer animation.
        XCTAssertEqual(summary.pngPaths.count, 2 * (1 + 2 * 3 + 4))
        let embeddings = try captured.embeddings(names: ["img0", "img1"])
        XCTAssertEqual(embeddings.cls[0].count, 24)
        XCTAssertEqual(embeddings.clsSimilarity[0][0], 1, accuracy: 1e-5)
        XCTAssertThrowsError(try ModelCapture.run(model, images: Tensor.zeros([1, 3, 16, 16])))

        // The one-call form used by `vittrain eval --dump-attention`: the same maps, plus embeddings.
        let oneCall = try temporaryDirectory("model-one-call")
        let again = try AttentionDump.write(model: model, inputs: images, images: explained, to: oneCall)
        XCTAssertEqual(again.snapshot.rollout.data, snapshot.rollout.data)
        XCTAssertTrue(FileManager.default.fileExists(atPath: oneCall + "/embeddings.h5"))
        XCTAssertEqual(try PNG.read(oneCall + "/000_img0/layer01_head01.png").pixels,
                       try PNG.read(dir + "/000_img0/layer01_head01.png").pixels)
    }
}
