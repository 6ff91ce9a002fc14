// F32GEMM against Double references (1e-6 of the sum of |products|) over all four transposes,
// edge sizes, padded strides, alpha ≠ 1, beta 0 on NaN-filled C and beta ≠ 0, the kernel's block
// boundaries; exact results on small-integer inputs; and calls mixed with BF16GEMM's on one thread.

import XCTest
import Dispatch
import Tensor

final class F32GEMMTests: XCTestCase {
    struct Case {
        var transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int
        var alpha: Float, beta: Float, pad: Int
    }

    /// Row-major operands with padded strides for one case.
    struct Operands {
        var a: [Float], b: [Float], c: [Float], lda: Int, ldb: Int, ldc: Int
    }

    static func operands(_ t: Case, seed: UInt64, integers: Bool = false) -> Operands {
        var rng = RandomGenerator(seed: seed)
        func value() -> Float { integers ? Float(rng.nextInt(below: 9) - 4) : rng.nextNormal() }
        let aRows = t.transposeA ? t.k : t.m, aCols = t.transposeA ? t.m : t.k
        let bRows = t.transposeB ? t.n : t.k, bCols = t.transposeB ? t.k : t.n
        let lda = aCols + t.pad, ldb = bCols + 2 * t.pad, ldc = t.n + t.pad
        let a = (0..<max(1, aRows * lda)).map { _ in value() }
        let b = (0..<max(1, bRows * ldb)).map { _ in value() }
        // beta == 0 must not read C: fill it with NaN. The padding columns must come back untouched.
        let c = (0..<max(1, t.m * ldc)).map { _ in t.beta == 0 ? Float.nan : value() }
        return Operands(a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc)
    }

    static func run(_ t: Case, _ o: Operands) -> [Float] {
        var c = o.c
        o.a.withUnsafeBufferPointer { pa in
            o.b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    F32GEMM.gemm(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k,
                                 alpha: t.alpha, a: pa.baseAddress!, lda: o.lda, b: pb.baseAddress!, ldb: o.ldb,
                                 beta: t.beta, c: pc.baseAddress!, ldc: o.ldc)
                }
            }
        }
        return c
    }

    /// Runs one product, checks every element (and that padding is untouched), and returns the
    /// worst error relative to |alpha|·Σ|products| + |beta·C|.
    @discardableResult
    func check(_ t: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let o = Self.operands(t, seed: seed)
        let c = Self.run(t, o)
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
                    let product = Double(o.a[t.transposeA ? p * o.lda + i : i * o.lda + p])
                        * Double(o.b[t.transposeB ? j * o.ldb + p : p * o.ldb + j])
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
        let sizes = [1, 2, 7, 13, 15, 16, 17, 33, 65]
        // (alpha, beta, padding of the row strides)
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (1.5, 0, 3), (-0.75, 1, 5), (2, -0.5, 1)]
        var worst = 0.0, seed: UInt64 = 1
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for m in sizes {
                    for n in sizes {
                        for k in sizes {
                            let (alpha, beta, pad) = variants[Int(seed % 4)]
                            worst = max(worst, check(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n,
                                                          k: k, alpha: alpha, beta: beta, pad: pad), seed: seed))
                            seed += 1
                        }
                    }
                }
            }
        }
        print("f32 gemm edge sizes: max error \(worst) of Σ|products|")
    }

    /// Sizes that cross the kernel's blocks (768 k, 1536 columns) with remainders, row counts that
    /// are not multiples of the 14-row tile, and ViT-Tiny's own shapes (197 tokens, 192 wide, MLP
    /// 768), in every transpose combination.
    func testBlockBoundariesAllTransposes() {
        let shapes = [(577, 192, 65), (337, 1569, 3), (29, 47, 769), (53, 65, 1537), (197, 576, 192),
                      (197, 192, 768)]
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (0.5, 0, 7), (1, 1, 2), (-1.25, 0.25, 0)]
        var worst = 0.0, seed: UInt64 = 1000
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for (m, n, k) in shapes {
                    let (alpha, beta, pad) = variants[Int(seed % 4)]
                    worst = max(worst, check(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                  alpha: alpha, beta: beta, pad: pad), seed: seed))
                    seed += 1
                }
            }
        }
        print("f32 gemm block boundaries: max error \(worst) of Σ|products|")
    }

    /// Small integers multiply and add exactly in fp32 (every partial sum < 2^24), so every
    /// element must equal the Double reference bit for bit, whatever the order of the sums.
    func testSmallIntegersAreExact() {
        let shapes = [(30, 70, 800), (15, 33, 17), (45, 1600, 5)]
        var seed: UInt64 = 500
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for (m, n, k) in shapes {
                    let t = Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                 alpha: 1, beta: seed % 2 == 0 ? 0 : 1, pad: 1)
                    let o = Self.operands(t, seed: seed, integers: true)
                    let c = Self.run(t, o)
                    var mismatches = 0
                    for i in 0..<m {
                        for j in 0..<n {
                            var exact = t.beta == 0 ? 0 : Double(o.c[i * o.ldc + j])
                            for p in 0..<k {
                                exact += Double(o.a[transposeA ? p * o.lda + i : i * o.lda + p])
                                    * Double(o.b[transposeB ? j * o.ldb + p : p * o.ldb + j])
                            }
                            if Double(c[i * o.ldc + j]) != exact { mismatches += 1 }
                        }
                    }
                    XCTAssertEqual(mismatches, 0, "\(t): elements that differ from the exact integer result")
                    seed += 1
                }
            }
        }
    }

    /// k == 0 leaves beta·C (zeros for beta 0, even over NaN); m or n == 0 touches nothing.
    func testEmptyProducts() {
        var c: [Float] = [.nan, .nan, 3, 4]
        let one: [Float] = [1]
        F32GEMM.gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, alpha: 1, a: one, lda: 1,
                     b: one, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        F32GEMM.gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, alpha: 1, a: one, lda: 1,
                     b: one, ldb: 2, beta: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        F32GEMM.gemm(transposeA: false, transposeB: false, m: 0, n: 2, k: 3, alpha: 1, a: one, lda: 3,
                     b: one, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
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
