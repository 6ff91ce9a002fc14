// Shared helpers for the Tensor tests: a gradient-check assertion that reports the worst element,
// element-wise comparison of arrays, and reference ops composed from primitives (the simple
// versions that the fused kernels are checked against).

import XCTest
import Tensor

/// Runs `GradientCheck.run` and fails if the max error reaches `tolerance`; returns the error.
@discardableResult
func assertGradient(_ label: String, _ inputs: [Tensor], tolerance: Double = 1e-2, epsilon: Float = 1e-2,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ function: ([Tensor]) -> Tensor) -> Double {
    let result = GradientCheck.run(inputs, epsilon: epsilon, function)
    print("gradient check \(label): max error \(result.maxError)")
    XCTAssertLessThan(result.maxError, tolerance, "\(label): \(result)", file: file, line: line)
    XCTAssertFalse(result.maxError.isNaN, "\(label): NaN gradient", file: file, line: line)
    return result.maxError
}

/// The largest |a − b| (fails if the counts differ).
func maxDifference(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.count, b.count, "element counts differ", file: file, line: line)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randn(shape, rng: &rng) * scale
}

enum Reference {
    /// LayerNorm over the last axis from primitives (mean, subtract, square, sqrt, divide).
    static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let centred = x - x.mean(axis: -1, keepDims: true)
        let variance = centred.square().mean(axis: -1, keepDims: true)
        var y = centred / (variance + eps).sqrt()
        if let weight { y = y * weight }
        if let bias { y = y + bias }
        return y
    }

    /// timm's attention from primitives: reshape qkv [B, T, 3D] → [B, T, 3, H, Dh] → permute to
    /// [3, B, H, T, Dh], split, softmax(q·kᵀ·scale)·v, then transpose(1, 2).reshape(B, T, D).
    static func multiHeadAttention(qkv: Tensor, heads: Int, scale: Float) -> (output: Tensor, probabilities: Tensor) {
        let b = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3
        let split = qkv.reshaped([b, t, 3, heads, d / heads]).permuted([2, 0, 3, 1, 4])
        let q = split.sliced(axis: 0, 0..<1).reshaped([b, heads, t, d / heads])
        let k = split.sliced(axis: 0, 1..<2).reshaped([b, heads, t, d / heads])
        let v = split.sliced(axis: 0, 2..<3).reshaped([b, heads, t, d / heads])
        let scores = q.matmul(k, transposeOther: true) * scale
        let p = scores.softmax(axis: -1)
        let o = p.matmul(v).permuted([0, 2, 1, 3]).reshaped([b, t, d])
        return (o, p)
    }
}
