// BLAS.precision routes the model's GEMMs: `.medium` sends Linear (forward and backward, split
// over threads) through the bf16 kernel, `.highest` keeps fp32. Checked against direct calls
// of each kernel, so a routing mistake shows as a mismatch rather than a tolerance.

import XCTest
import NN
import Tensor

final class MatmulPrecisionTests: XCTestCase {
    override func tearDown() {
        BLAS.precision = .highest
    }

    /// x [R, I] · W [O, I]ᵀ through `kernel` directly, unsplit.
    func directProduct(_ x: Tensor, _ w: Tensor, bf16: Bool) -> [Float] {
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], w.shape[0])
        var out = [Float](repeating: 0, count: rows * outputs)
        x.data.withUnsafeBufferPointer { a in
            w.data.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    if bf16 {
                        BF16GEMM.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, alpha: 1,
                                      a: a.baseAddress!, lda: inputs, b: b.baseAddress!, ldb: inputs,
                                      beta: 0, c: c.baseAddress!, ldc: outputs)
                    } else {
                        let saved = BLAS.precision
                        BLAS.precision = .highest
                        BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                                   a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
                        BLAS.precision = saved
                    }
                }
            }
        }
        return out
    }

    func testMediumSendsLinearThroughTheBF16Kernel() throws {
        try XCTSkipUnless(BLAS.supportsBFloat16, "this CPU has no AVX-512 BF16")
        var rng = RandomGenerator(seed: 5)
        // Big enough (≥ 2M multiply-adds) that BLAS.sgemm splits it over the threads.
        let x = Tensor.randn([1040, 192], rng: &rng)
        let w = Tensor.randn([576, 192], rng: &rng)
        let bf16 = directProduct(x, w, bf16: true)
        let fp32 = directProduct(x, w, bf16: false)

        BLAS.precision = .medium
        XCTAssertEqual(BLAS.effectivePrecision, .medium)
        let medium = Tensor.withoutGrad { Tensor.linear(x, weight: w, bias: nil) }.data
        BLAS.precision = .highest
        let highest = Tensor.withoutGrad { Tensor.linear(x, weight: w, bias: nil) }.data

        let scale = fp32.map(abs).max()!
        let mediumVsKernel = zip(medium, bf16).map { abs($0 - $1) }.max()!
        let mediumVsFp32 = zip(medium, fp32).map { abs($0 - $1) }.max()!
        let highestVsFp32 = zip(highest, fp32).map { abs($0 - $1) }.max()!
        print("medium vs bf16 kernel \(mediumVsKernel), medium vs fp32 \(mediumVsFp32 / scale) relative")
        XCTAssertLessThanOrEqual(mediumVsKernel, 1e-6 * scale)
        XCTAssertLessThanOrEqual(highestVsFp32, 1e-6 * scale)
        // bf16 inputs carry 8 significant bits: visibly different from fp32, but close.
        XCTAssertGreaterThan(mediumVsFp32, 1e-5 * scale)
        XCTAssertLessThan(mediumVsFp32, 2e-2 * scale)
    }

    func testMediumGradientsStayCloseToFloat32() throws {
        try XCTSkipUnless(BLAS.supportsBFloat16, "this CPU has no AVX-512 BF16")
        func gradients(_ precision: MatmulPrecision) -> (dx: [Float], dw: [Float]) {
            BLAS.precision = precision
            var rng = RandomGenerator(seed: 9)
            let x = Tensor.randn([520, 96], rng: &rng).requiringGrad()
            let w = Tensor.randn([384, 96], rng: &rng).requiringGrad()
            let b = Tensor.randn([384], rng: &rng).requiringGrad()
            (Tensor.linear(x, weight: w, bias: b).gelu().sum()).backward()
            return (x.grad!, w.grad!)
        }
        let exact = gradients(.highest), rounded = gradients(.medium)
        for (name, e, r) in [("dx", exact.dx, rounded.dx), ("dw", exact.dw, rounded.dw)] {
            let scale = e.map(abs).max()!
            let error = zip(e, r).map { abs($0 - $1) }.max()! / scale
            print("medium \(name): max relative difference \(error)")
            XCTAssertGreaterThan(error, 0, name)
            XCTAssertLessThan(error, 2e-2, name)
        }
    }

    func testMediumFallsBackWhereUnsupported() {
        BLAS.precision = .medium
        XCTAssertEqual(BLAS.effectivePrecision, BLAS.supportsBFloat16 ? .medium : .highest)
    }
}
