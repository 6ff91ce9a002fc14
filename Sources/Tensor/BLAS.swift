// The single doorway to cblas_sgemm. Transposes are passed as BLAS flags, never materialised.
// OpenBLAS runs single-threaded (see Parallel): a large GEMM is split here into one band of C
// per thread (rows, or columns when N is the long side), so OpenBLAS's spinning workers never
// compete with our own parallel loops for the cores.

import CBLAS
import Dispatch

public enum BLAS {
    /// Products with at least this many multiply-adds are split across our threads.
    static let splitThreshold = 1 << 21

    /// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major and contiguous.
    /// op(A) is M×K (A is K×M when `transposeA`), op(B) is K×N (B is N×K when `transposeB`).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let threads = Parallel.threadCount
        if threads > 1 && m * n * k >= splitThreshold && !Parallel.isInsideParallelRegion {
            split(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, threads: threads)
            return
        }
        raw(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n)
    }

    /// The same product on sub-matrices with explicit leading dimensions (row strides), unsplit:
    /// for kernels that run one small product per thread (an attention head reading its slice
    /// of the packed qkv in place).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        raw(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One band of C per thread. Rows when M ≥ N (each band reads its own rows of op(A)),
    /// otherwise columns (each band reads its own columns of op(B)); bands are multiples of 16
    /// so each starts on a vector boundary.
    private static func split(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                              beta: Float, c: UnsafeMutablePointer<Float>, threads: Int) {
        let byRows = m >= n
        let extent = byRows ? m : n
        let bands = min(threads, max(1, extent / 16))
        let step = ((extent + bands - 1) / bands + 15) / 16 * 16
        Parallel.forEach(bands) { band in
            let start = band * step, end = min(extent, start + step)
            guard start < end else { return }
            if byRows {
                let aBand = transposeA ? a + start : a + start * lda
                raw(transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k, alpha: alpha,
                    a: aBand, lda: lda, b: b, ldb: ldb, beta: beta, c: c + start * n, ldc: n)
            } else {
                let bBand = transposeB ? b + start * ldb : b + start
                raw(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k, alpha: alpha,
                    a: a, lda: lda, b: bBand, ldb: ldb, beta: beta, c: c + start, ldc: n)
            }
        }
    }

    @inline(__always)
    private static func raw(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Calls cblas_sgemm once, unsplit, with OpenBLAS's own threading set to `openBLASThreads`
    /// for the call (then back to one): the machine's reference GEMM speed for `vittrain bench --gemm`.
    public static func referenceSgemm(openBLASThreads: Int, m: Int, n: Int, k: Int,
                                      a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>) {
        openblas_set_num_threads(Int32(openBLASThreads))
        defer { openblas_set_num_threads(1) }
        raw(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
            a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
    }

    /// The name of the OpenBLAS kernel set in use (for `vittrain bench`).
    public static var coreName: String {
        String(cString: openblas_get_corename())
    }
}
