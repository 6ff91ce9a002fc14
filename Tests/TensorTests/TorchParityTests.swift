// Parity with PyTorch / timm on the fixture Tests/Fixtures/tensor_ops.json (made by
// Scripts/fixtures/tensor_ops.py): each op's output and the gradient of Σ output·R for every
// input, R a fixed random upstream gradient. Tolerance: |ours − torch| ≤ 1e-4·max(1, |torch|).

import XCTest
import Foundation
import Tensor

final class TorchParityTests: XCTestCase {
    struct Stored: Decodable {
        let shape: [Int]
        let data: [Float]
        var tensor: Tensor { Tensor(shape: shape, data: data) }
    }
    struct Case: Decodable {
        let inputs: [String: Stored]
        let upstream: Stored
        let output: Stored
        let grads: [String: Stored]
        let extra: [String: Stored]?
    }
    struct Fixture: Decodable {
        let cases: [String: Case]
    }

    static let fixture: Fixture? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/tensor_ops.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Fixture.self, from: data)
    }()

    func check(_ name: String, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line,
               _ op: ([String: Tensor], Case) -> Tensor) {
        guard let c = TorchParityTests.fixture?.cases[name] else {
            XCTFail("fixture case \(name) missing from Tests/Fixtures/tensor_ops.json", file: file, line: line)
            return
        }
        let inputs = c.inputs.mapValues { $0.tensor.requiringGrad() }
        let output = op(inputs, c)
        XCTAssertEqual(output.shape, c.output.shape, "\(name) output shape", file: file, line: line)
        func worst(_ ours: [Float], _ theirs: [Float]) -> Float {
            zip(ours, theirs).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        }
        XCTAssertLessThan(worst(output.data, c.output.data), tolerance, "\(name) output", file: file, line: line)
        output.backward(gradient: c.upstream.data)
        for (key, expected) in c.grads {
            guard let grad = inputs[key]?.grad else {
                XCTFail("\(name): no gradient for \(key)", file: file, line: line)
                continue
            }
            XCTAssertLessThan(worst(grad, expected.data), tolerance, "\(name) d\(key)", file: file, line: line)
        }
    }

    func testFixtureIsPresent() {
        XCTAssertNotNil(TorchParityTests.fixture, "Tests/Fixtures/tensor_ops.json is missing or unreadable")
    }

    func testActivationsAndSoftmax() {
        check("gelu") { x, _ in x["x"]!.gelu() }
        check("softmax_axis1") { x, _ in x["x"]!.softmax(axis: 1) }
        check("log_softmax_last") { x, _ in x["x"]!.logSoftmax() }
    }

    func testCrossEntropyWithSmoothing() {
        check("cross_entropy_smoothing_0.1") { x, c in
            let targets = c.extra!["targets"]!.data.map { Int($0) }
            return Tensor.crossEntropy(logits: x["logits"]!, targets: targets, labelSmoothing: 0.1)
        }
    }

    func testNormalisations() {
        check("layer_norm") { x, _ in x["x"]!.layerNorm(weight: x["weight"]!, bias: x["bias"]!, eps: 1e-6) }
        check("group_norm_3") { x, _ in x["x"]!.groupNorm(groups: 3, weight: x["weight"]!, bias: x["bias"]!) }
        var runningMean: [Float] = [0, 0, 0], runningVariance: [Float] = [1, 1, 1]
        check("batch_norm_training") { x, _ in
            x["x"]!.batchNorm(weight: x["weight"]!, bias: x["bias"]!, runningMean: &runningMean,
                              runningVariance: &runningVariance, momentum: 0.1, eps: 1e-5, training: true)
        }
        let extra = TorchParityTests.fixture?.cases["batch_norm_training"]?.extra
        XCTAssertLessThan(maxDifference(runningMean, extra?["running_mean"]?.data ?? []), 1e-5)
        XCTAssertLessThan(maxDifference(runningVariance, extra?["running_var"]?.data ?? []), 1e-5)
    }

    func testConvolutionAndPooling() {
        check("conv2d_s1_p1") { x, _ in x["x"]!.conv2d(weight: x["weight"]!, bias: x["bias"]!, stride: 1, padding: 1) }
        check("conv2d_s2_p0") { x, _ in x["x"]!.conv2d(weight: x["weight"]!, bias: x["bias"]!, stride: 2) }
        check("conv2d_patch") { x, _ in x["x"]!.conv2d(weight: x["weight"]!, bias: x["bias"]!, stride: 2) }
        check("max_pool2d_k3_s2_p1") { x, _ in x["x"]!.maxPool2d(kernel: 3, stride: 2, padding: 1) }
        check("avg_pool2d_k3_s1_p1") { x, _ in x["x"]!.avgPool2d(kernel: 3, stride: 1, padding: 1) }
    }

    func testTimmAttention() {
        var probabilities: Tensor?
        check("timm_attention") { x, c in
            var rng = RandomGenerator(seed: 0)
            let result = Tensor.multiHeadAttention(qkv: x["qkv"]!, heads: 2, scale: c.extra!["scale"]!.data[0],
                                                   rng: &rng, keepProbabilities: true)
            probabilities = result.probabilities
            return result.output
        }
        let expected = TorchParityTests.fixture?.cases["timm_attention"]?.extra?["probabilities"]
        XCTAssertEqual(probabilities?.shape, expected?.shape)
        XCTAssertLessThan(maxDifference(probabilities?.data ?? [], expected?.data ?? []), 1e-5)
    }
}
