// Every CPU level this machine has (baseline, AVX2+FMA, AVX-512) runs the C row kernels and gives
// the Double reference's results: GELU and its derivative, softmax and log-softmax (contiguous and
// strided) with their backward, LayerNorm forward and backward, exp; plus the level switch itself.
// The GEMM kernels of each level are checked in F32GEMMTests.

import XCTest
import Foundation
import Tensor

/// Runs `body` once at each level this CPU supports (lowest first), restoring the level after.
func forEachCPULevel(_ body: (CPULevel) throws -> Void) rethrows {
    for level in CPULevel.available { try CPULevel.with(level) { try body(level) } }
}

final class CPULevelTests: XCTestCase {
    func testLevelSwitchClampsAndRestores() {
        let detected = CPULevel.detected
        XCTAssertEqual(CPULevel.available.last, detected)
        CPULevel.with(.baseline) {
            XCTAssertEqual(CPULevel.current, .baseline)
            XCTAssertFalse(F32GEMM.isAccelerated)
            XCTAssertFalse(BF16GEMM.isSupported, "bf16 needs the AVX512 level")
            XCTAssertEqual(F32GEMM.kernelName, "portable loop")
        }
        CPULevel.with(.avx512) { XCTAssertEqual(CPULevel.current, detected, "a level is never raised") }
        XCTAssertEqual(CPULevel.current, detected)
        XCTAssertEqual(CPULevel.avx2.description, "avx2")
    }

    func testExpAtEveryLevel() {
        let xs = stride(from: Float(-87), through: 88, by: 0.0173).map { $0 }
        forEachCPULevel { level in
            var ys = [Float](repeating: 0, count: xs.count)
            xs.withUnsafeBufferPointer { x in
                ys.withUnsafeMutableBufferPointer { FastMath.exp(x.baseAddress!, into: $0.baseAddress!, count: xs.count) }
            }
            let worst = zip(xs, ys).map { abs(Double($1) - Foundation.exp(Double($0))) / Foundation.exp(Double($0)) }.max()!
            XCTAssertLessThan(worst, 3e-7, "\(level): exp relative error")
            XCTAssertEqual(FastMath.exp(0), 1, "\(level)")
        }
    }

    /// GELU′ from the Double erf: Φ(x) + x·φ(x).
    private func geluReference(_ x: Double) -> (value: Double, derivative: Double) {
        let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot())), pdf = Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        return (x * cdf, cdf + x * pdf)
    }

    func testGELUForwardBackwardAtEveryLevel() {
        // 1000 elements: vector bodies and a scalar tail at every width.
        let x = randomTensor([1000], seed: 3, scale: 3)
        let upstream = randomTensor([1000], seed: 4)
        forEachCPULevel { level in
            let input = x.detached().requiringGrad()
            let y = input.gelu()
            (y * upstream).sum().backward()
            var worstValue = 0.0, worstGrad = 0.0
            for i in 0..<x.count {
                let (value, derivative) = geluReference(Double(x.data[i]))
                worstValue = max(worstValue, abs(Double(y.data[i]) - value))
                worstGrad = max(worstGrad, abs(Double(input.grad![i]) - Double(upstream.data[i]) * derivative))
            }
            XCTAssertLessThan(worstValue, 2e-6, "\(level): GELU")
            XCTAssertLessThan(worstGrad, 2e-6, "\(level): GELU backward")
        }
    }

    /// Double softmax of `values` (log-softmax when `logarithm`).
    private func softmaxReference(_ values: [Double], logarithm: Bool) -> [Double] {
        let m = values.max()!
        let logTotal = Foundation.log(values.map { Foundation.exp($0 - m) }.reduce(0, +))
        return values.map { logarithm ? $0 - m - logTotal : Foundation.exp($0 - m - logTotal) }
    }

    func testSoftmaxAtEveryLevelBothLayouts() {
        // [3, 37, 5]: the last axis (contiguous, 5 long) and axis 1 (37 long, stride 5).
        let x = randomTensor([3, 37, 5], seed: 5, scale: 4)
        let upstream = randomTensor([3, 37, 5], seed: 6)
        for axis in [1, 2] {
            for logarithm in [false, true] {
                forEachCPULevel { level in
                    let input = x.detached().requiringGrad()
                    let y = logarithm ? input.logSoftmax(axis: axis) : input.softmax(axis: axis)
                    (y * upstream).sum().backward()
                    let label = "\(level) axis \(axis)\(logarithm ? " log" : "")"
                    var worstValue = 0.0, worstGrad = 0.0
                    for outer in 0..<(axis == 1 ? 3 : 3 * 37) {
                        for inner in 0..<(axis == 1 ? 5 : 1) {
                            let length = axis == 1 ? 37 : 5, stride = axis == 1 ? 5 : 1
                            let base = axis == 1 ? outer * 37 * 5 + inner : outer * 5
                            let indices = (0..<length).map { base + $0 * stride }
                            let reference = softmaxReference(indices.map { Double(x.data[$0]) }, logarithm: logarithm)
                            let g = indices.map { Double(upstream.data[$0]) }
                            // dx = J·g: softmax y∘(g − Σg∘y); log-softmax g − softmax·Σg.
                            let p = logarithm ? reference.map { Foundation.exp($0) } : reference
                            let gradient = logarithm
                                ? zip(g, p).map { $0 - $1 * g.reduce(0, +) }
                                : zip(g, p).map { $1 * ($0 - zip(g, p).map { $0 * $1 }.reduce(0, +)) }
                            for (j, index) in indices.enumerated() {
                                worstValue = max(worstValue, abs(Double(y.data[index]) - reference[j]))
                                worstGrad = max(worstGrad, abs(Double(input.grad![index]) - gradient[j]))
                            }
                        }
                    }
                    XCTAssertLessThan(worstValue, 2e-6, "\(label): softmax")
                    XCTAssertLessThan(worstGrad, 5e-6, "\(label): softmax backward")
                }
            }
        }
    }

    func testLayerNormAtEveryLevel() {
        // 7 rows of 197: vector bodies plus a tail of 5 at every width; weight and bias, and none.
        let x = randomTensor([7, 197], seed: 7, scale: 2) + 0.5
        let weight = randomTensor([197], seed: 8), bias = randomTensor([197], seed: 9)
        let upstream = randomTensor([7, 197], seed: 10)
        for affine in [true, false] {
            forEachCPULevel { level in
                let input = x.detached().requiringGrad()
                let w = affine ? weight.detached().requiringGrad() : nil, b = affine ? bias.detached().requiringGrad() : nil
                let y = input.layerNorm(weight: w, bias: b, eps: 1e-6)
                (y * upstream).sum().backward()
                let rx = x.detached().requiringGrad()
                let rw = affine ? weight.detached().requiringGrad() : nil, rb = affine ? bias.detached().requiringGrad() : nil
                let ry = Reference.layerNorm(rx, weight: rw, bias: rb, eps: 1e-6)
                (ry * upstream).sum().backward()
                let label = "\(level)\(affine ? "" : " no affine")"
                XCTAssertLessThan(maxDifference(y.data, ry.data), 2e-5, "\(label): forward")
                XCTAssertLessThan(maxDifference(input.grad!, rx.grad!), 2e-5, "\(label): dx")
                if affine {
                    XCTAssertLessThan(maxDifference(w!.grad!, rw!.grad!), 1e-4, "\(label): dweight")
                    XCTAssertLessThan(maxDifference(b!.grad!, rb!.grad!), 1e-4, "\(label): dbias")
                }
            }
        }
        print("layerNorm at levels \(CPULevel.available): outputs compared against the primitive reference")
    }
}
