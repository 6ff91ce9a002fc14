// BatchNorm (training statistics, running-statistics update as PyTorch, evaluation mode) and
// GroupNorm (against a composition from primitives), with finite-difference gradients.

import XCTest
import Tensor

final class NormalizationTests: XCTestCase {
    func testBatchNormTrainingStatisticsAndRunningUpdate() {
        let x = randomTensor([4, 3, 2, 5], seed: 70, scale: 2) + 1
        var runningMean: [Float] = [0, 0, 0], runningVariance: [Float] = [1, 1, 1]
        let y = x.batchNorm(weight: .ones([3]), bias: .zeros([3]), runningMean: &runningMean,
                            runningVariance: &runningVariance, momentum: 0.1, eps: 1e-5, training: true)
        for ch in 0..<3 {
            var xs: [Float] = [], ys: [Float] = []
            for image in 0..<4 {
                let base = (image * 3 + ch) * 10
                xs += x.data[base..<(base + 10)]
                ys += y.data[base..<(base + 10)]
            }
            let mean = xs.reduce(0, +) / 40
            let sq = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            let yMean = ys.reduce(0, +) / 40
            let yVar = ys.map { ($0 - yMean) * ($0 - yMean) }.reduce(0, +) / 40
            XCTAssertEqual(yMean, 0, accuracy: 1e-5)
            XCTAssertEqual(yVar, 1, accuracy: 1e-3)
            // Running statistics use the unbiased variance (÷ M−1), as PyTorch.
            XCTAssertEqual(runningMean[ch], 0.1 * mean, accuracy: 1e-5)
            XCTAssertEqual(runningVariance[ch], 0.9 + 0.1 * sq / 39, accuracy: 1e-5)
        }
    }

    func testBatchNormEvaluationUsesRunningStatistics() {
        let x = randomTensor([2, 2, 3, 3], seed: 71)
        var runningMean: [Float] = [0.5, -1], runningVariance: [Float] = [4, 0.25]
        let w = Tensor(shape: [2], data: [2, 3]), b = Tensor(shape: [2], data: [0.1, -0.2])
        let y = x.batchNorm(weight: w, bias: b, runningMean: &runningMean, runningVariance: &runningVariance,
                            eps: 0, training: false)
        XCTAssertEqual(runningMean, [0.5, -1])
        XCTAssertEqual(runningVariance, [4, 0.25])
        for i in 0..<x.count {
            let ch = (i / 9) % 2
            let expected = (x.data[i] - runningMean[ch]) / runningVariance[ch].squareRoot() * w.data[ch] + b.data[ch]
            XCTAssertEqual(y.data[i], expected, accuracy: 1e-5)
        }
    }

    func testBatchNormGradients() {
        let x = randomTensor([3, 2, 3, 2], seed: 72)
        let w = randomTensor([2], seed: 73) + 1, b = randomTensor([2], seed: 74)
        assertGradient("batchNorm training", [x, w, b], tolerance: 1e-3) {
            var mean: [Float] = [0, 0], variance: [Float] = [1, 1]
            return $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: &mean, runningVariance: &variance,
                                   training: true)
        }
        assertGradient("batchNorm eval", [x, w, b], tolerance: 1e-3) {
            var mean: [Float] = [0.3, -0.2], variance: [Float] = [2, 0.5]
            return $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: &mean, runningVariance: &variance,
                                   training: false)
        }
    }

    /// GroupNorm from primitives: [N, G, L] statistics, then a per-channel affine.
    func referenceGroupNorm(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let n = x.shape[0], c = x.shape[1]
        let rows = x.reshaped([n, groups, -1])
        let centred = rows - rows.mean(axis: -1, keepDims: true)
        let variance = centred.square().mean(axis: -1, keepDims: true)
        let normalised = (centred / (variance + eps).sqrt()).reshaped(x.shape)
        let trailing = [Int](repeating: 1, count: x.rank - 2)
        return normalised * weight.reshaped([1, c] + trailing) + bias.reshaped([1, c] + trailing)
    }

    func testGroupNormMatchesReferenceAndGradients() {
        let x = randomTensor([2, 6, 3, 4], seed: 75, scale: 2)
        let w = randomTensor([6], seed: 76) + 1, b = randomTensor([6], seed: 77)
        let fused = x.groupNorm(groups: 3, weight: w, bias: b)
        let reference = referenceGroupNorm(x, groups: 3, weight: w, bias: b, eps: 1e-5)
        XCTAssertLessThan(maxDifference(fused.data, reference.data), 1e-5)
        assertGradient("groupNorm", [x, w, b], tolerance: 1e-3) { $0[0].groupNorm(groups: 3, weight: $0[1], bias: $0[2]) }
        assertGradient("groupNorm one group", [x, w, b], tolerance: 1e-3) {
            $0[0].groupNorm(groups: 1, weight: $0[1], bias: $0[2])
        }
    }
}
