// Our attention measures against torch on a tiny timm ViT's captured attention
// (Tests/Fixtures/attention_measures.h5, made by Scripts/fixtures/attention_measures.py).

import XCTest
import FileFormats
import Interpret

final class AttentionMeasuresFixtureTests: XCTestCase {
    var file: HDF5File!
    var attentions: [Tensor] = []
    var grid: (Int, Int) = (0, 0)

    override func setUpWithError() throws {
        file = try HDF5File.open(Fixtures.directory + "/attention_measures.h5")
        attentions = try (0..<2).map { try Fixtures.tensor(file, "attention/\($0)") }
        let g = try file.int64sAttribute("grid")
        grid = (Int(g[0]), Int(g[1]))
        XCTAssertEqual(attentions[0].shape, [2, 3, 65, 65])
    }

    override func tearDown() { file?.close() }

    func testCLSMapsAndHeadMean() throws {
        let cls = try Fixtures.tensor(file, "cls")            // [L, B, H, N]
        let headMean = try Fixtures.tensor(file, "head_mean") // [L, B, N]
        let oursCLS = Tensor.concatenate(attentions.map { AttentionMeasures.clsToPatch($0).reshaped([1, 2, 3, 64]) }, axis: 0)
        assertClose(oursCLS, cls, tolerance: 1e-7, "CLS maps")
        let oursMean = Tensor.concatenate(attentions.map {
            AttentionMeasures.headMean(AttentionMeasures.clsToPatch($0)).reshaped([1, 2, 64]) }, axis: 0)
        assertClose(oursMean, headMean, tolerance: 1e-6, "head mean")
        // The CLS-row-only capture gives the same maps.
        let clsRows = attentions[1].sliced(axis: 2, 0..<1)
        assertClose(AttentionMeasures.clsToPatch(clsRows), AttentionMeasures.clsToPatch(attentions[1]), tolerance: 0, "CLS rows only")
    }

    func testRolloutEveryFusionAndDiscard() throws {
        for fusion in HeadFusion.allCases {
            for discard in [0.0, 0.5] {
                let expected = try Fixtures.tensor(file, "rollout/\(fusion.rawValue)_\(String(format: "%.1f", discard))")
                let rollout = try AttentionRollout(fusion: fusion, discardRatio: discard)
                assertClose(try rollout.clsMap(attentions), expected, tolerance: 1e-5, "rollout \(fusion) \(discard)")
                // The full matrix's CLS row agrees with the vector path.
                let full = try rollout.matrix(attentions)
                let row = full.sliced(axis: 1, 0..<1).sliced(axis: 2, 1..<65).reshaped([2, 64])
                assertClose(row, expected, tolerance: 1e-5, "rollout matrix CLS row \(fusion) \(discard)")
            }
        }
        // Discarding must change the map (else the test above could not tell discard apart).
        let plain = try AttentionRollout(fusion: .mean).clsMap(attentions)
        let discarded = try AttentionRollout(fusion: .mean, discardRatio: 0.5).clsMap(attentions)
        XCTAssertGreaterThan(zip(plain.data, discarded.data).map { abs($0 - $1) }.max()!, 1e-4)
    }

    func testRolloutFullMatrixAndStartLayer() throws {
        let full = try Fixtures.tensor(file, "rollout_full/mean_0.0")
        assertClose(try AttentionRollout().matrix(attentions), full, tolerance: 1e-5, "rollout matrix")
        let fromOne = try Fixtures.tensor(file, "rollout_from1/mean_0.0")
        assertClose(try AttentionRollout(startLayer: 1).clsMap(attentions), fromOne, tolerance: 1e-5, "rollout from layer 1")
    }

    func testEntropies() throws {
        let cls = try Fixtures.tensor(file, "entropy_cls")   // [L, B, H]
        let rows = try Fixtures.tensor(file, "entropy_rows")
        let oursCLS = Tensor.concatenate(attentions.map { AttentionMeasures.clsEntropy($0).reshaped([1, 2, 3]) }, axis: 0)
        let oursRows = Tensor.concatenate(attentions.map { AttentionMeasures.meanRowEntropy($0).reshaped([1, 2, 3]) }, axis: 0)
        assertClose(oursCLS, cls, tolerance: 1e-5, "CLS entropy")
        assertClose(oursRows, rows, tolerance: 1e-5, "mean row entropy")
    }

    func testMeanAttentionDistance() throws {
        let expected = try Fixtures.tensor(file, "distance")  // [L, B, H]
        let ours = Tensor.concatenate(attentions.map {
            AttentionMeasures.meanAttentionDistance($0, gridHeight: grid.0, gridWidth: grid.1).reshaped([1, 2, 3]) }, axis: 0)
        assertClose(ours, expected, tolerance: 1e-5, "mean attention distance")
    }
}
