// Linear and LayerNorm modules: values against direct formulas, gradient checks, init, paths.

import XCTest
import NN

final class LinearTests: XCTestCase {
    func testLinearComputesXWTransposePlusBias() {
        let layer = Linear(weight: Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), bias: Tensor(shape: [2], data: [0.5, -1]))
        let x = Tensor(shape: [1, 2, 3], data: [1, 0, -1, 2, 1, 0])
        let y = layer(x)
        XCTAssertEqual(y.shape, [1, 2, 2])
        // Row 1: [1·1 + 0·2 − 1·3, 1·4 + 0 − 6] + b = [−1.5, −3]; row 2: [2 + 2, 8 + 5] + b = [4.5, 12].
        let expected: [Float] = [-1.5, -3, 4.5, 12]
        XCTAssertEqual(y.data, expected)
    }

    func testLinearGradients() {
        var rng = RandomGenerator(seed: 1)
        let layer = Linear(inputDimensions: 5, outputDimensions: 4, rng: &rng)
        perturbParameters(layer, seed: 2)
        let x = randomTensor([2, 3, 5], seed: 3)
        assertGradient("linear", [x, layer.weight, layer.bias!]) { _ in layer(x) }
    }

    func testLinearInitialisationIsTimmTruncatedNormal() {
        var rng = RandomGenerator(seed: 4)
        let layer = Linear(inputDimensions: 200, outputDimensions: 100, rng: &rng)
        let w = layer.weight.data
        let mean = w.reduce(0, +) / Float(w.count)
        let std = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 1e-3)
        // timm's bounds (±2) are absolute: at std .02 nothing is cut, the std stays .02, and
        // among 20,000 draws some pass 2σ.
        XCTAssertEqual(std, 0.02, accuracy: 5e-4)
        XCTAssertGreaterThan(w.map(abs).max()!, 0.04)
        let clipped = Initializer.truncatedNormal([1000], std: 1, low: -0.5, high: 0.5, rng: &rng).data
        XCTAssertTrue(clipped.allSatisfy { abs($0) <= 0.5 })
        XCTAssertEqual(layer.bias!.data, [Float](repeating: 0, count: 100))
        XCTAssertTrue(layer.weight.requiresGrad && layer.bias!.requiresGrad)
        XCTAssertEqual(parameterListing(layer), ["weight [100, 200]", "bias [100]"])
    }

    func testLayerNormMatchesFormulaAndGradients() {
        let norm = LayerNorm(dimensions: 6, eps: 1e-6)
        perturbParameters(norm, seed: 5)
        let x = randomTensor([3, 6], seed: 6)
        let y = norm(x)
        for row in 0..<3 {
            let v = Array(x.data[(row * 6)..<(row * 6 + 6)])
            let mean = v.reduce(0, +) / 6
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            for j in 0..<6 {
                let expected = (v[j] - mean) / (variance + 1e-6).squareRoot() * norm.weight.data[j] + norm.bias.data[j]
                XCTAssertEqual(y.data[row * 6 + j], expected, accuracy: 1e-5)
            }
        }
        assertGradient("layernorm", [x, norm.weight, norm.bias]) { _ in norm(x) }
        XCTAssertEqual(parameterListing(norm), ["weight [6]", "bias [6]"])
    }

    func testDropoutIsIdentityInEvaluationAndDropsInTraining() {
        let source = RandomSource(seed: 9)
        let drop = Dropout(probability: 0.5, randomSource: source)
        let x = Tensor.ones([1000])
        XCTAssertEqual(drop(x).data, x.data)
        drop.isTraining = true
        let y = drop(x).data
        let zeros = y.filter { $0 == 0 }.count
        XCTAssertTrue((400...600).contains(zeros), "\(zeros) of 1000 dropped at p = 0.5")
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 2 })
        let path = DropPath(probability: 0.5, randomSource: source)
        XCTAssertEqual(path(x).data, x.data)
    }
}

final class LinearOpTests: XCTestCase {
    /// The fused op against matmul + broadcast bias, values and every gradient.
    func testFusedAffineMatchesMatmulPlusBias() {
        for withBias in [true, false] {
            let x1 = randomTensor([7, 5], seed: 1), w1 = randomTensor([3, 5], seed: 2), b1 = randomTensor([3], seed: 3)
            let x2 = x1.detached(), w2 = w1.detached(), b2 = b1.detached()
            for t in [x1, w1, b1, x2, w2, b2] { t.requiresGrad = true }
            let fused = Tensor.linear(x1, weight: w1, bias: withBias ? b1 : nil)
            var reference = x2.matmul(w2, transposeOther: true)
            if withBias { reference = reference + b2 }
            for (a, b) in zip(fused.data, reference.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            let projection = randomTensor([7, 3], seed: 4)
            (fused * projection).sum().backward()
            (reference * projection).sum().backward()
            for (a, b) in zip(x1.grad!, x2.grad!) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            for (a, b) in zip(w1.grad!, w2.grad!) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            if withBias {
                for (a, b) in zip(b1.grad!, b2.grad!) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            } else {
                XCTAssertNil(b1.grad)
            }
            assertGradient("linear bias \(withBias)", [x1, w1, b1]) { _ in Tensor.linear(x1, weight: w1, bias: withBias ? b1 : nil) }
        }
    }

    /// Linear → GELU fused against the two ops in sequence: values, every gradient, and a
    /// finite-difference check; also through an upstream gradient that already exists on x.
    func testFusedLinearGELUMatchesLinearThenGELU() {
        let x1 = randomTensor([9, 6], seed: 11), w1 = randomTensor([4, 6], seed: 12), b1 = randomTensor([4], seed: 13)
        let x2 = x1.detached(), w2 = w1.detached(), b2 = b1.detached()
        for t in [x1, w1, b1, x2, w2, b2] { t.requiresGrad = true }
        let fused = Tensor.linearGELU(x1, weight: w1, bias: b1)
        let reference = Tensor.linear(x2, weight: w2, bias: b2).gelu()
        for (a, b) in zip(fused.data, reference.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let projection = randomTensor([9, 4], seed: 14)
        // x also feeds a second branch, so its gradient is accumulated, not just assigned.
        ((fused * projection).sum() + x1.sum()).backward()
        ((reference * projection).sum() + x2.sum()).backward()
        for (mine, theirs) in [(x1, x2), (w1, w2), (b1, b2)] {
            for (a, b) in zip(mine.grad!, theirs.grad!) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        assertGradient("linearGELU", [x1, w1, b1]) { _ in Tensor.linearGELU(x1, weight: w1, bias: b1) }
        let mlp = Linear(weight: w1.detached(), bias: b1.detached())
        XCTAssertEqual(mlp.forwardGELU(x1.reshaped([3, 3, 6])).shape, [3, 3, 4])
    }
}
