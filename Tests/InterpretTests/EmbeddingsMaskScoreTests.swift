// Embeddings (CLS and rollout-weighted, cosine similarities, files) and the rollout mask score.

import XCTest
import Foundation
import FileFormats
import Interpret

final class EmbeddingsMaskScoreTests: XCTestCase {
    func testEmbeddingsByHand() throws {
        // 3 images, T = 3 (CLS + 2 patches), D = 2.
        let features = Tensor(shape: [3, 2], data: [1, 0, 0, 1, 1, 1])
        let tokens = Tensor(shape: [3, 3, 2], data: [9, 9, 1, 0, 0, 1,
                                                     9, 9, 1, 0, 0, 1,
                                                     9, 9, 2, 0, 0, 2])
        // Image 0 all on patch 0, image 1 all on patch 1, image 2 split 1:3.
        let rollout = Tensor(shape: [3, 2], data: [0.5, 0, 0, 0.2, 0.1, 0.3])
        let e = try ImageEmbeddings(names: ["a", "b", "c"], features: features, tokens: tokens, rollout: rollout)
        XCTAssertEqual(e.cls, [[1, 0], [0, 1], [1, 1]])
        XCTAssertEqual(e.rolloutWeighted[0], [1, 0])
        XCTAssertEqual(e.rolloutWeighted[1], [0, 1])
        XCTAssertEqual(e.rolloutWeighted[2][0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(e.rolloutWeighted[2][1], 1.5, accuracy: 1e-6)
        XCTAssertEqual(e.clsSimilarity[0][1], 0, accuracy: 1e-7)
        XCTAssertEqual(e.clsSimilarity[0][2], Float(0.5.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(e.clsSimilarity[2][2], 1, accuracy: 1e-6)
        XCTAssertEqual(e.rolloutSimilarity[1][2], Float(3 / 10.0.squareRoot()), accuracy: 1e-6)
        XCTAssertThrowsError(try ImageEmbeddings(names: ["a"], features: features, tokens: tokens, rollout: rollout))

        let dir = try temporaryDirectory("embeddings")
        try e.writeEmbeddings(to: dir)
        let file = try HDF5File.open(dir + "/embeddings.h5")
        defer { file.close() }
        XCTAssertEqual(try file.readFloats("rollout_similarity").shape, [3, 3])
        XCTAssertEqual(try file.readFloats("cls").values, [1, 0, 0, 1, 1, 1])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/embeddings.json"))) as! [String: Any]
        XCTAssertEqual(json["names"] as? [String], ["a", "b", "c"])
    }

    func testMaskScoreByHand() throws {
        // 4×4 masks on a 2×2 grid (2×2 pixels per patch).
        var quadrant = [UInt8](repeating: 0, count: 16)
        for y in 0..<2 { for x in 0..<2 { quadrant[y * 4 + x] = 255 } }     // patch 0 entirely
        var half = [UInt8](repeating: 0, count: 16)
        half[0] = 1; half[4] = 1                                                // left half of patch 0
        let empty = [UInt8](repeating: 0, count: 16)
        let rollout = Tensor(shape: [4, 4], data: [1, 0, 0, 0,
                                                   0.25, 0.25, 0.25, 0.25,
                                                   2, 0, 0, 0,
                                                   1, 1, 1, 1])
        let result = try MaskScore.scores(rollout: rollout, masks: [quadrant, quadrant, half, empty],
                                          maskHeight: 4, maskWidth: 4, gridHeight: 2, gridWidth: 2)
        // All mass on a quarter-area object: 1 / 0.25 = 4. Uniform: 1. Half a patch: 0.5 / 0.125 = 4.
        XCTAssertEqual(result.perImage.count, 4)
        XCTAssertEqual(result.perImage[0]!, 4, accuracy: 1e-6)
        XCTAssertEqual(result.perImage[1]!, 1, accuracy: 1e-6)
        XCTAssertEqual(result.perImage[2]!, 4, accuracy: 1e-6)
        XCTAssertNil(result.perImage[3])
        XCTAssertEqual(result.mean, 3, accuracy: 1e-6)
        XCTAssertEqual(MaskScore.byteMask([0, 0.49, 0.5, 1]), [0, 0, 1, 1])
        XCTAssertThrowsError(try MaskScore.scores(rollout: rollout, masks: [quadrant], maskHeight: 4, maskWidth: 4, gridHeight: 2, gridWidth: 2))
    }
}
