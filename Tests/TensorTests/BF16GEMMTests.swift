// BF16GEMM against Double references: exact products of the bf16-rounded inputs (tight, 1e-5 of
// the sum of |products|) and of the fp32 inputs (bf16 tolerance), over all four transposes,
// edge sizes, padded strides, alpha ≠ 1, beta 0 on NaN-filled C and beta ≠ 0; plus rounding ties.

import XCTest
import Dispatch
import Tensor

final class BF16GEMMTests: XCTestCase {
    /// fp32 → bf16 → fp32, round to nearest even: the reference for what packing must do.
    static func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }

    struct Case {
        var transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int
        var alpha: Float, beta: Float, pad: Int
    }

    struct Errors { var tight = 0.0, loose = 0.0 }

    /// Runs one product, checks it, and returns the worst errors relative to the sum of |products|.
    @discardableResult
    func check(_ t: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) -> Errors {
        var rng = RandomGenerator(seed: seed)
        let aRows = t.transposeA ? t.k : t.m, aCols = t.transposeA ? t.m : t.k
        let bRows = t.transposeB ? t.n : t.k, bCols = t.transposeB ? t.k : t.n
        let lda = aCols + t.pad, ldb = bCols + 2 * t.pad, ldc = t.n + t.pad
        let a = (0..<max(1, aRows * lda)).map { _ in rng.nextNormal() }
        let b = (0..<max(1, bRows * ldb)).map { _ in rng.nextNormal() }
        // beta == 0 must not read C: fill it with NaN. The padding columns must come back untouched.
        var c = (0..<max(1, t.m * ldc)).map { _ in t.beta == 0 ? Float.nan : rng.nextNormal() }
        let c0 = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BF16GEMM.gemm(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k,
                                  alpha: t.alpha, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                  beta: t.beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        var errors = Errors()
        for i in 0..<t.m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j >= t.n {
                    XCTAssertEqual(c[index].bitPattern, c0[index].bitPattern, "\(t): wrote padding (\(i), \(j))",
                                   file: file, line: line)
                    continue
                }
                var exact = 0.0, rounded = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let x = a[t.transposeA ? p * lda + i : i * lda + p]
                    let y = b[t.transposeB ? j * ldb + p : p * ldb + j]
                    exact += Double(x) * Double(y)
                    let product = Double(Self.bf16(x)) * Double(Self.bf16(y))
                    rounded += product
                    magnitude += abs(product)
                }
                let old = t.beta == 0 ? 0 : Double(t.beta) * Double(c0[index])
                let scale = abs(Double(t.alpha)) * magnitude + abs(old) + 1e-30
                let got = Double(c[index])
                let tight = abs(got - (Double(t.alpha) * rounded + old)) / scale
                let loose = abs(got - (Double(t.alpha) * exact + old)) / scale
                errors.tight = max(errors.tight, tight.isNaN ? .infinity : tight)
                errors.loose = max(errors.loose, loose.isNaN ? .infinity : loose)
            }
        }
        XCTAssertLessThan(errors.tight, 1e-5, "\(t): against the bf16-rounded reference", file: file, line: line)
        // Each bf16 input is off by at most 2^-8 of its rounded value, so each product by at most
        // (1 + 2^-8)^2 - 1 = 0.00782 of the rounded product.
        XCTAssertLessThan(errors.loose, 8e-3, "\(t): against the fp32 reference", file: file, line: line)
        return errors
    }

    override func setUpWithError() throws {
        if !BF16GEMM.isSupported { throw XCTSkip("this CPU has no AVX512_BF16") }
    }

    func testEdgeSizesAllTransposes() {
        let sizes = [1, 2, 7, 15, 16, 17, 33, 65]
        // (alpha, beta, padding of the row strides)
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (1.5, 0, 3), (-0.75, 1, 5), (2, -0.5, 1)]
        var worst = Errors(), seed: UInt64 = 1
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for m in sizes {
                    for n in sizes {
                        for k in sizes {
                            let (alpha, beta, pad) = variants[Int(seed % 4)]
                            let e = check(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                               alpha: alpha, beta: beta, pad: pad), seed: seed)
                            worst.tight = max(worst.tight, e.tight)
                            worst.loose = max(worst.loose, e.loose)
                            seed += 1
                        }
                    }
                }
            }
        }
        print("bf16 gemm edge sizes: max error \(worst.tight) (bf16 reference), \(worst.loose) (fp32 reference)")
    }

    /// Sizes that cross the kernel's blocks: 336 rows, 768 k (384 pairs), 3072 columns, with odd
    /// remainders, in every transpose combination and every alpha/beta variant.
    func testBlockBoundariesAllTransposes() {
        let shapes = [(577, 192, 65), (337, 3073, 3), (29, 47, 769), (353, 65, 770), (192, 577, 577)]
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (0.5, 0, 7), (1, 1, 2), (-1.25, 0.25, 0)]
        var worst = Errors(), seed: UInt64 = 1000
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for (m, n, k) in shapes {
                    let (alpha, beta, pad) = variants[Int(seed % 4)]
                    let e = check(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                       alpha: alpha, beta: beta, pad: pad), seed: seed)
                    worst.tight = max(worst.tight, e.tight)
                    worst.loose = max(worst.loose, e.loose)
                    seed += 1
                }
            }
        }
        print("bf16 gemm block boundaries: max error \(worst.tight) (bf16 reference), \(worst.loose) (fp32 reference)")
    }

    /// k == 0 leaves beta·C (zeros for beta 0, even over NaN); m or n == 0 touches nothing.
    func testEmptyProducts() {
        var c: [Float] = [.nan, .nan, 3, 4]
        let one: [Float] = [1]
        BF16GEMM.gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, alpha: 1, a: one, lda: 1,
                      b: one, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        BF16GEMM.gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, alpha: 1, a: one, lda: 1,
                      b: one, ldb: 2, beta: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        BF16GEMM.gemm(transposeA: false, transposeB: false, m: 0, n: 2, k: 3, alpha: 1, a: one, lda: 3,
                      b: one, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
    }

    /// Values chosen on and around bf16 rounding ties (bf16 keeps 7 mantissa bits): exact ties go
    /// to the even neighbour, anything past a tie goes up, anything short of it goes down.
    /// Each value passes through A (times 1) and through B (times 1), 16+ lanes wide.
    func testRoundingIsNearestEven() {
        let ulp: Float = 1.0 / 128                     // bf16 spacing in [1, 2)
        let cases: [(Float, Float)] = [
            (1 + ulp / 2, 1),                          // tie, 1.0 is even
            (1 + 3 * ulp / 2, 1 + 2 * ulp),            // tie, 1 + 2 ulp is even
            (1 + ulp / 2 + ulp / 4096, 1 + ulp),       // just past the tie
            (1 + ulp / 2 - ulp / 4096, 1),             // just short of the tie
            (-(1 + 3 * ulp / 2), -(1 + 2 * ulp)),      // sign does not change the rule
            (1.5 + ulp, 1.5 + ulp),                    // representable: unchanged
            (3 + 3 * ulp / 2, 3 + 2 * ulp),            // in [2, 4) the spacing is 2 ulp: past the tie
            (3 + ulp, 3),                              // tie at spacing 2 ulp: 3 is even
            (3 + 3 * ulp, 3 + 4 * ulp),                // tie at spacing 2 ulp: 3 + 4 ulp is even
            (256 + 1, 256),                            // tie at spacing 2: 256 is even
            (256 + 3, 260),                            // tie at spacing 2: 260 is even
            (1e-3, Self.bf16(1e-3)),
        ]
        let values = (0..<20).map { cases[$0 % cases.count].0 }
        let expected = (0..<20).map { cases[$0 % cases.count].1 }
        XCTAssertEqual(values.map(Self.bf16), expected, "the test's own reference rounding")
        let one: [Float] = [1]
        var row = [Float](repeating: .nan, count: 20)
        BF16GEMM.gemm(transposeA: false, transposeB: false, m: 1, n: 20, k: 1, alpha: 1, a: one, lda: 1,
                      b: values, ldb: 20, beta: 0, c: &row, ldc: 20)
        XCTAssertEqual(row, expected, "rounding of B")
        var column = [Float](repeating: .nan, count: 20)
        BF16GEMM.gemm(transposeA: false, transposeB: true, m: 20, n: 1, k: 1, alpha: 1, a: values, lda: 1,
                      b: one, ldb: 1, beta: 0, c: &column, ldc: 1)
        XCTAssertEqual(column, expected, "rounding of A")
    }

    /// Calls from several threads at once (per-thread pack buffers) give the serial results bit for bit.
    func testConcurrentCallsMatchSerial() {
        let shapes = [(300, 70, 500), (65, 600, 33), (17, 17, 900), (400, 40, 40)]
        var rng = RandomGenerator(seed: 7)
        let inputs = shapes.map { (m, n, k) in
            ((0..<m * k).map { _ in rng.nextNormal() }, (0..<k * n).map { _ in rng.nextNormal() })
        }
        func run(_ index: Int) -> [Float] {
            let (m, n, k) = shapes[index]
            var c = [Float](repeating: 0, count: m * n)
            BF16GEMM.gemm(transposeA: false, transposeB: index % 2 == 1, m: m, n: n, k: k, alpha: 1,
                          a: inputs[index].0, lda: k, b: inputs[index].1, ldb: index % 2 == 1 ? k : n,
                          beta: 0, c: &c, ldc: n)
            return c
        }
        let serial = shapes.indices.map(run)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4 * shapes.count)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: results.count) { i in
            results[i] = run(i % shapes.count)
        }
        for i in results.indices {
            XCTAssertEqual(results[i], serial[i % shapes.count], "concurrent call \(i) differs")
        }
    }
}
