// F32GEMM against Double references (1e-6 of the sum of |products|) over all four transposes,
// edge sizes, padded strides, alpha ≠ 1, beta 0 on NaN-filled C and beta ≠ 0, the kernels' block
// and tile boundaries; exact results on small-integer inputs; and calls mixed with BF16GEMM's on
// one thread. Each test runs at every CPU level here (AVX-512F, AVX2+FMA and portable kernels).

import XCTest
import Dispatch
import Tensor

final class F32GEMMTests: XCTestCase {
    /// Runs one product, checks every element (and that padding is untouched), and returns the
    /// worst error relative to |alpha|·Σ|products| + |beta·C|.
    @discardableResult
    func check(_ t: GEMMCase, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let o = GEMMOperands(t, seed: seed)
        let c = o.run(t, on: F32GEMM.gemm)
        var worst = 0.0
        for i in 0..<t.m {
            for j in 0..<o.ldc {
                let index = i * o.ldc + j
                if j >= t.n {
                    XCTAssertEqual(c[index].bitPattern, o.c[index].bitPattern, "\(t): wrote padding (\(i), \(j))",
                                   file: file, line: line)
                    continue
                }
                var exact = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let product = Double(o.a(t, i, p)) * Double(o.b(t, p, j))
                    exact += product
                    magnitude += abs(product)
                }
                let old = t.beta == 0 ? 0 : Double(t.beta) * Double(o.c[index])
                let scale = abs(Double(t.alpha)) * magnitude + abs(old) + 1e-30
                let error = abs(Double(c[index]) - (Double(t.alpha) * exact + old)) / scale
                worst = max(worst, error.isNaN ? .infinity : error)
            }
        }
        XCTAssertLessThan(worst, 1e-6, "\(t): against the Double reference", file: file, line: line)
        return worst
    }

    func testEdgeSizesAllTransposes() {
        // (alpha, beta, padding of the row strides)
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (1.5, 0, 3), (-0.75, 1, 5), (2, -0.5, 1)]
        // 6 and 14 (with their neighbours): the AVX2 and AVX-512 tile heights; 16 and 32 the widths.
        let cases = GEMMCase.sweep(GEMMCase.cube([1, 5, 6, 7, 14, 15, 16, 17, 33, 65]), variants: variants,
                                   firstSeed: 1)
        forEachCPULevel { level in
            let worst = cases.map { check($0.0, seed: $0.seed) }.max() ?? 0
            print("f32 gemm edge sizes (\(F32GEMM.kernelName)): max error \(worst) of Σ|products|")
        }
    }

    /// Sizes that cross the kernel's blocks (768 k, 1536 columns) with remainders, row counts that
    /// are not multiples of the 14-row tile, and ViT-Tiny's own shapes (197 tokens, 192 wide, MLP
    /// 768), in every transpose combination. A is read in place unless its lines crowd L1 sets:
    /// untransposed with k = 512 or 1024 and transposed with m = 1024 (600 k: a panel past L1),
    /// without padding, take the packed panel; with padding, in place.
    func testBlockBoundariesAllTransposes() {
        let shapes = [(577, 192, 65), (337, 1569, 3), (29, 47, 769), (53, 65, 1537), (197, 576, 192),
                      (197, 192, 768), (31, 40, 1024), (20, 33, 512), (1024, 17, 600)]
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (0.5, 0, 7), (1, 1, 2), (-1.25, 0.25, 0)]
        forEachCPULevel { level in
            guard level >= .avx2 else { return }     // the portable loop has no blocks (edge sizes cover it)
            let worst = GEMMCase.sweep(shapes, variants: variants, firstSeed: 1000).map { check($0.0, seed: $0.seed) }.max() ?? 0
            print("f32 gemm block boundaries (\(F32GEMM.kernelName)): max error \(worst) of Σ|products|")
        }
    }

    /// Small integers multiply and add exactly in fp32 (every partial sum < 2^24), so every
    /// element must equal the Double reference bit for bit, whatever the order of the sums.
    func testSmallIntegersAreExact() {
        let shapes = [(30, 70, 800), (15, 33, 17), (45, 1600, 5)]
        // Padding 1; beta alternates 0 and 1 with the seed.
        forEachCPULevel { level in
            for (t, seed) in GEMMCase.sweep(shapes, variants: [(1, 0, 1), (1, 1, 1)], firstSeed: 500) {
                let o = GEMMOperands(t, seed: seed, integers: true)
                let c = o.run(t, on: F32GEMM.gemm)
                var mismatches = 0
                for i in 0..<t.m {
                    for j in 0..<t.n {
                        var exact = t.beta == 0 ? 0 : Double(o.c[i * o.ldc + j])
                        for p in 0..<t.k { exact += Double(o.a(t, i, p)) * Double(o.b(t, p, j)) }
                        if Double(c[i * o.ldc + j]) != exact { mismatches += 1 }
                    }
                }
                XCTAssertEqual(mismatches, 0, "\(level) \(t): elements that differ from the exact integer result")
            }
        }
    }

    func testEmptyProducts() {
        forEachCPULevel { _ in assertEmptyProducts(F32GEMM.gemm) }
    }

    /// Calls from several threads at once (per-thread pack buffers, shared with the bf16 kernel,
    /// whose calls are interleaved on the same threads) give the serial results bit for bit.
    func testConcurrentAndInterleavedCallsMatchSerial() {
        let shapes = [(300, 70, 500), (65, 600, 33), (17, 17, 900), (400, 40, 40)]
        var rng = RandomGenerator(seed: 7)
        let inputs = shapes.map { (m, n, k) in
            ((0..<m * k).map { _ in rng.nextNormal() }, (0..<k * n).map { _ in rng.nextNormal() })
        }
        func run(_ index: Int, bf16: Bool = false) -> [Float] {
            let (m, n, k) = shapes[index]
            var c = [Float](repeating: 0, count: m * n)
            let transposeB = index % 2 == 1
            if bf16 {
                BF16GEMM.gemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                              a: inputs[index].0, lda: k, b: inputs[index].1, ldb: transposeB ? k : n,
                              beta: 0, c: &c, ldc: n)
            } else {
                F32GEMM.gemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                             a: inputs[index].0, lda: k, b: inputs[index].1, ldb: transposeB ? k : n,
                             beta: 0, c: &c, ldc: n)
            }
            return c
        }
        let serial = shapes.indices.map { run($0) }
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4 * shapes.count)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: results.count) { i in
            // A bf16 product of another shape first, so this thread's buffers hold its packing.
            if BF16GEMM.isSupported { _ = run((i + 1) % shapes.count, bf16: true) }
            results[i] = run(i % shapes.count)
        }
        for i in results.indices {
            XCTAssertEqual(results[i], serial[i % shapes.count], "concurrent call \(i) differs")
        }
    }
}
