// Conv2d, BatchNorm2d and GroupNorm modules: the patchwise GEMM path against the general
// convolution, gradient checks, PyTorch default init bounds, buffers and their paths.

import XCTest
import NN

final class ConvNormTests: XCTestCase {
    func testPatchTokensEqualTheConvolution() {
        var rng = RandomGenerator(seed: 1)
        let conv = Conv2d(inChannels: 3, outChannels: 5, kernelSize: 4, stride: 4, rng: &rng)
        let x = randomTensor([2, 3, 8, 12], seed: 2)
        let tokens = conv.patchTokens(x)                      // [2, 6, 5]
        XCTAssertEqual(tokens.shape, [2, 6, 5])
        let reference = x.conv2d(weight: conv.weight, bias: conv.bias, stride: 4, padding: 0)   // [2, 5, 2, 3]
        for n in 0..<2 {
            for o in 0..<5 {
                for p in 0..<6 {
                    XCTAssertEqual(tokens.data[(n * 6 + p) * 5 + o], reference.data[(n * 5 + o) * 6 + p], accuracy: 1e-5)
                }
            }
        }
        XCTAssertEqual(conv(x).shape, [2, 5, 2, 3])
        for (a, b) in zip(conv(x).data, reference.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        assertGradient("patch conv", [x, conv.weight, conv.bias!]) { _ in conv.patchTokens(x) }
    }

    func testGeneralConvGradientsAndDefaultInit() {
        var rng = RandomGenerator(seed: 3)
        let conv = Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        let bound = 1 / Float(4 * 9).squareRoot()
        XCTAssertLessThanOrEqual(conv.weight.data.map(abs).max()!, bound)
        XCTAssertGreaterThan(conv.weight.data.map(abs).max()!, 0.8 * bound)
        XCTAssertLessThanOrEqual(conv.bias!.data.map(abs).max()!, bound)
        let x = randomTensor([2, 4, 6, 6], seed: 4)
        XCTAssertEqual(conv(x).shape, [2, 6, 3, 3])
        assertGradient("conv 3×3 s2", [x, conv.weight, conv.bias!]) { _ in conv(x) }
        XCTAssertEqual(parameterListing(conv), ["weight [6, 4, 3, 3]", "bias [6]"])
    }

    func testBatchNormUsesBatchStatisticsInTrainingAndRunningOnesInEvaluation() {
        let bn = BatchNorm2d(channels: 3)
        perturbParameters(bn, seed: 5)
        let x = randomTensor([4, 3, 2, 2], seed: 6, scale: 2) + 1
        bn.isTraining = true
        let y = bn(x)
        // Per channel, the normalised output has mean = bias and (biased) std = |weight|.
        for c in 0..<3 {
            var values: [Float] = []
            for n in 0..<4 { for s in 0..<4 { values.append(y.data[(n * 3 + c) * 4 + s]) } }
            let mean = values.reduce(0, +) / 16
            XCTAssertEqual(mean, bn.bias.data[c], accuracy: 1e-4)
        }
        XCTAssertEqual(bn.numBatchesTracked.data, [1])
        XCTAssertNotEqual(bn.runningMean.data, [0, 0, 0])
        XCTAssertEqual(bn.namedBuffers().map(\.path), ["running_mean", "running_var", "num_batches_tracked"])
        assertGradient("batchnorm (training)", [x, bn.weight, bn.bias]) { _ in bn(x) }
        bn.isTraining = false
        let mean = bn.runningMean.data, variance = bn.runningVar.data
        let z = bn(x)
        for c in 0..<3 {
            let expected = (x.data[c * 4] - mean[c]) / (variance[c] + 1e-5).squareRoot() * bn.weight.data[c] + bn.bias.data[c]
            XCTAssertEqual(z.data[c * 4], expected, accuracy: 1e-4)
        }
        XCTAssertEqual(bn.runningMean.data, mean, "evaluation leaves the running statistics alone")
    }

    func testGroupNormGradients() {
        let gn = GroupNorm(groups: 2, channels: 4)
        perturbParameters(gn, seed: 7)
        let x = randomTensor([2, 4, 3, 3], seed: 8)
        assertGradient("groupnorm", [x, gn.weight, gn.bias]) { _ in gn(x) }
        XCTAssertEqual(parameterListing(gn), ["weight [4]", "bias [4]"])
    }
}
