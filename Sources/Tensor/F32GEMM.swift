// The fp32 GEMM in CKernels ("highest" matmul precision): an AVX-512F kernel with the bf16
// kernel's blocking, 1.08-1.16x OpenBLAS 0.3.21's single-thread sgemm on ViT-Tiny shapes (Zen 4);
// without AVX-512F a slow portable loop. One call is single-threaded (callers split C into bands).

import CKernels

public enum F32GEMM {
    /// Whether this CPU (and OS) runs the AVX-512F kernel; without it `gemm` still works, slowly.
    public static let isAccelerated: Bool = vt_cpu_has_avx512f() != 0

    /// C[m×n] = alpha · op(A) · op(B) + beta · C in fp32, row-major with explicit row strides, the
    /// same meaning as `BLAS.sgemm`: op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is
    /// n×k when `transposeB`). `beta == 0` never reads C. Single-threaded and thread-safe.
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "F32GEMM.gemm: negative size m \(m), n \(n), k \(k)")
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
                     "F32GEMM.gemm: strides lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k)")
        vt_gemm_f32(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
