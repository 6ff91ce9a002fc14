// The GEMM epilogue (bias, drop-path row scale, residual, GELU′ factor, GELU in the store) against its reference,
// the same product followed by separate passes: bit for bit, on every kernel that runs it (our
// fp32 kernels at each CPU level, the bf16 kernel under "medium", OpenBLAS for small products),
// across the kernels' tile and k-block edges, and split across threads by rows and by columns.

import XCTest
import Tensor

final class GEMMEpilogueTests: XCTestCase {
    /// What one case adds in the store.
    struct Terms: CustomStringConvertible {
        var bias = false, residual = false, rowScale = false, geluDerivative = false, gelu = false, geluInPlace = false
        var description: String {
            [bias ? "bias" : nil, residual ? "residual" : nil, rowScale ? "rowScale" : nil,
             geluDerivative ? "gelu′ factor" : nil,
             gelu ? (geluInPlace ? "gelu in place" : "gelu") : nil].compactMap { $0 }.joined(separator: "+")
        }
    }

    static let termSets: [Terms] = [
        Terms(bias: true), Terms(residual: true), Terms(bias: true, residual: true),
        Terms(bias: true, residual: true, rowScale: true), Terms(residual: true, rowScale: true),
        Terms(bias: true, gelu: true), Terms(bias: true, gelu: true, geluInPlace: true), Terms(gelu: true),
        Terms(geluDerivative: true), Terms(bias: true, residual: true, geluDerivative: true),
    ]

    /// The product C = A·Bᵀ [m × n] (k inner) with `terms` fused, and the reference: the plain
    /// product, then the bias pass, the row scale, the residual add, vt_gelu_backward (the MLP
    /// backward's pass over dHidden) and vt_gelu, in that order.
    func compare(m: Int, n: Int, k: Int, terms: Terms, seed: UInt64, file: StaticString = #filePath,
                 line: UInt = #line) {
        var rng = RandomGenerator(seed: seed)
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(n * k)).map { _ in rng.nextNormal() }
        let bias = (0..<n).map { _ in rng.nextNormal() }
        let residual = (0..<(m * n)).map { _ in rng.nextNormal() }
        // Drop-path factors: 0 (a dropped sample) or 1/(1 − p), per row.
        let rowScale = (0..<m).map { i in i % 3 == 1 ? Float(0) : 1 / (1 - Float(0.3)) }
        let pre = (0..<(m * n)).map { _ in 2 * rng.nextNormal() }     // a GELU's input

        // Reference: separate passes, each rounded as the unfused ops round.
        var expected = [Float](repeating: .nan, count: m * n)
        expected.withUnsafeMutableBufferPointer { c in
            BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, b: b, c: c.baseAddress!)
        }
        for i in 0..<m {
            for j in 0..<n {
                var v = expected[i * n + j]
                if terms.bias { v = v + bias[j] }
                if terms.residual { v = terms.rowScale ? residual[i * n + j] + v * rowScale[i] : residual[i * n + j] + v }
                expected[i * n + j] = v
            }
        }
        if terms.geluDerivative {
            pre.withUnsafeBufferPointer { x in
                expected.withUnsafeMutableBufferPointer { g in
                    Tensor.geluBackward(x.baseAddress!, upstream: g.baseAddress!, count: m * n, into: g.baseAddress!,
                                        accumulate: false)
                }
            }
        }
        var expectedGELU = [Float](repeating: 0, count: m * n)
        if terms.gelu {
            expected.withUnsafeBufferPointer { x in
                expectedGELU.withUnsafeMutableBufferPointer { Tensor.gelu(x.baseAddress!, count: m * n, into: $0.baseAddress!) }
            }
        }

        var c = [Float](repeating: .nan, count: m * n)     // beta 0 never reads C
        var geluOut = [Float](repeating: .nan, count: m * n)
        c.withUnsafeMutableBufferPointer { cb in
            geluOut.withUnsafeMutableBufferPointer { gb in
                bias.withUnsafeBufferPointer { biasBuffer in
                    residual.withUnsafeBufferPointer { residualBuffer in
                        rowScale.withUnsafeBufferPointer { scaleBuffer in
                            pre.withUnsafeBufferPointer { preBuffer in
                                let geluTarget = terms.geluInPlace ? cb.baseAddress! : gb.baseAddress!
                                let epilogue = GEMMEpilogue(
                                    bias: terms.bias ? biasBuffer.baseAddress : nil,
                                    residual: terms.residual ? residualBuffer.baseAddress : nil, residualStride: n,
                                    rowScale: terms.rowScale ? scaleBuffer.baseAddress : nil,
                                    geluDerivativeOf: terms.geluDerivative ? preBuffer.baseAddress : nil,
                                    derivativeStride: n, geluOutput: terms.gelu ? geluTarget : nil, geluStride: n)
                                BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, b: b,
                                           c: cb.baseAddress!, epilogue: epilogue)
                            }
                        }
                    }
                }
            }
        }
        let label = "\(m)×\(n)×\(k) \(terms) at \(CPULevel.current), \(BLAS.effectivePrecision)"
        if terms.geluInPlace {
            assertBitIdentical(c, expectedGELU, label + " (GELU in C)", file: file, line: line)
        } else {
            assertBitIdentical(c, expected, label, file: file, line: line)
            if terms.gelu { assertBitIdentical(geluOut, expectedGELU, label + " (GELU output)", file: file, line: line) }
        }
    }

    func assertBitIdentical(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString, line: UInt) {
        let mismatches = zip(actual, expected).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(mismatches, 0, "\(label): \(mismatches) of \(actual.count) elements differ from the separate passes",
                       file: file, line: line)
    }

    /// Shapes around the AVX-512 tile (14 × 32), the AVX2 tile (6 × 16), the 768 k block (where the
    /// epilogue must wait for the last block), ViT-Tiny's rows, and products small enough for OpenBLAS.
    static let shapes = [(1, 1, 1), (5, 7, 3), (15, 33, 17), (29, 47, 769), (65, 192, 192), (197, 576, 64),
                         (130, 100, 1600)]

    func testEveryKernelAndLevelMatchesSeparatePasses() {
        forEachCPULevel { _ in
            var seed: UInt64 = 1
            for (m, n, k) in Self.shapes {
                for terms in Self.termSets {
                    compare(m: m, n: n, k: k, terms: terms, seed: seed)
                    seed += 1
                }
            }
        }
    }

    func testBF16KernelMatchesSeparatePasses() throws {
        try XCTSkipUnless(BLAS.supportsBFloat16, "this CPU has no AVX-512 BF16, so \"medium\" stays fp32")
        let previous = BLAS.precision
        BLAS.precision = .medium
        defer { BLAS.precision = previous }
        var seed: UInt64 = 100
        for (m, n, k) in Self.shapes {
            for terms in Self.termSets {
                compare(m: m, n: n, k: k, terms: terms, seed: seed)
                seed += 1
            }
        }
    }

    /// Products large enough to be split over threads, by rows (m ≥ n) and by columns (n > m):
    /// each band must apply the epilogue at its own offset.
    func testBandsOfASplitProduct() {
        let previous = Parallel.threadCount
        Parallel.setThreadCount(3)
        defer { Parallel.setThreadCount(previous) }
        for (m, n, k) in [(1000, 192, 192), (100, 3000, 64)] {
            for terms in Self.termSets { compare(m: m, n: n, k: k, terms: terms, seed: 7) }
        }
    }
}
