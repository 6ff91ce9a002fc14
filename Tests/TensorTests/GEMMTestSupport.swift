// What the BF16GEMM and F32GEMM tests share: a product case with padded row strides, its seeded
// operands and one kernel run on them, the sweeps of cases (every transpose pair × shapes, with
// alpha, beta and padding cycling), and the empty-product check. Each kernel's tests keep their
// own reference and tolerances.

import XCTest
import Tensor

/// A kernel under test, with BLAS.sgemm's row-major meaning: BF16GEMM.gemm or F32GEMM.gemm.
typealias GEMMKernel = (_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Void

struct GEMMCase {
    var transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int
    var alpha: Float, beta: Float, pad: Int

    /// Every transpose pair × `shapes` (m, n, k), each with its seed (counting up from
    /// `firstSeed`) and the (alpha, beta, padding) variant that seed picks.
    static func sweep(_ shapes: [(Int, Int, Int)], variants: [(Float, Float, Int)],
                      firstSeed: UInt64) -> [(GEMMCase, seed: UInt64)] {
        var cases: [(GEMMCase, seed: UInt64)] = []
        var seed = firstSeed
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for (m, n, k) in shapes {
                    let (alpha, beta, pad) = variants[Int(seed % UInt64(variants.count))]
                    cases.append((GEMMCase(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                           alpha: alpha, beta: beta, pad: pad), seed))
                    seed += 1
                }
            }
        }
        return cases
    }

    /// Every (m, n, k) with each taken from `sizes`, m outermost.
    static func cube(_ sizes: [Int]) -> [(Int, Int, Int)] {
        sizes.flatMap { m in sizes.flatMap { n in sizes.map { k in (m, n, k) } } }
    }
}

/// Seeded row-major operands of one case, with padded strides.
struct GEMMOperands {
    var a: [Float], b: [Float], c: [Float], lda: Int, ldb: Int, ldc: Int

    /// Normal values, or small integers in −4...4 when `integers`.
    init(_ t: GEMMCase, seed: UInt64, integers: Bool = false) {
        var rng = RandomGenerator(seed: seed)
        func value() -> Float { integers ? Float(rng.nextInt(below: 9) - 4) : rng.nextNormal() }
        let aRows = t.transposeA ? t.k : t.m, aCols = t.transposeA ? t.m : t.k
        let bRows = t.transposeB ? t.n : t.k, bCols = t.transposeB ? t.k : t.n
        lda = aCols + t.pad
        ldb = bCols + 2 * t.pad
        ldc = t.n + t.pad
        a = (0..<max(1, aRows * lda)).map { _ in value() }
        b = (0..<max(1, bRows * ldb)).map { _ in value() }
        // beta == 0 must not read C: fill it with NaN. The padding columns must come back untouched.
        c = (0..<max(1, t.m * ldc)).map { _ in t.beta == 0 ? Float.nan : value() }
    }

    /// op(A)[i, p] and op(B)[p, j].
    func a(_ t: GEMMCase, _ i: Int, _ p: Int) -> Float { a[t.transposeA ? p * lda + i : i * lda + p] }
    func b(_ t: GEMMCase, _ p: Int, _ j: Int) -> Float { b[t.transposeB ? j * ldb + p : p * ldb + j] }

    /// C after one call of `kernel` on these operands.
    func run(_ t: GEMMCase, on kernel: GEMMKernel) -> [Float] {
        var result = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                result.withUnsafeMutableBufferPointer { pc in
                    kernel(t.transposeA, t.transposeB, t.m, t.n, t.k, t.alpha, pa.baseAddress!, lda,
                           pb.baseAddress!, ldb, t.beta, pc.baseAddress!, ldc)
                }
            }
        }
        return result
    }
}

/// k == 0 leaves beta·C (zeros for beta 0, even over NaN); m or n == 0 touches nothing.
func assertEmptyProducts(_ kernel: GEMMKernel, file: StaticString = #filePath, line: UInt = #line) {
    var c: [Float] = [.nan, .nan, 3, 4]
    let one: [Float] = [1]
    kernel(false, false, 2, 2, 0, 1, one, 1, one, 2, 0, &c, 2)
    XCTAssertEqual(c, [0, 0, 0, 0], file: file, line: line)
    c = [1, 2, 3, 4]
    kernel(false, false, 2, 2, 0, 1, one, 1, one, 2, 2, &c, 2)
    XCTAssertEqual(c, [2, 4, 6, 8], file: file, line: line)
    kernel(false, false, 0, 2, 3, 1, one, 3, one, 2, 0, &c, 2)
    XCTAssertEqual(c, [2, 4, 6, 8], file: file, line: line)
}
