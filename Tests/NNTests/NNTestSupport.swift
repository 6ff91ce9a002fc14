// Helpers for the NN tests: a gradient-check assertion and seeded random inputs.

import XCTest
import NN

/// Runs `GradientCheck.run` over `inputs` and fails when the max error reaches `tolerance`.
@discardableResult
func assertGradient(_ label: String, _ inputs: [Tensor], tolerance: Double = 1e-2, epsilon: Float = 1e-2,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ function: ([Tensor]) -> Tensor) -> Double {
    let result = GradientCheck.run(inputs, epsilon: epsilon, maxElements: 48, function)
    print("gradient check \(label): \(result)")
    XCTAssertLessThan(result.maxError, tolerance, "\(label): \(result)", file: file, line: line)
    XCTAssertFalse(result.maxError.isNaN, "\(label): NaN gradient", file: file, line: line)
    return result.maxError
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randn(shape, rng: &rng) * scale
}

/// Paths and shapes of a module's parameters, as "path [a, b]" lines.
func parameterListing(_ module: Module) -> [String] {
    module.namedParameters().map { "\($0.path) \($0.tensor.shape)" }
}

/// Randomises every parameter (so biases and norm affines are not at their trivial init).
func perturbParameters(_ module: Module, seed: UInt64, scale: Float = 0.3) {
    var rng = RandomGenerator(seed: seed)
    for (_, p) in module.namedParameters() {
        for i in 0..<p.count { p.data[i] += scale * rng.nextNormal() }
    }
}
